"""Telling the server that something failed, without letting that report hide the failure."""

from __future__ import annotations

from typing import Any

from bearman_agent.client import RetryPolicy
from bearman_agent.errors import AgentError, ServerUnavailable, one_line
from bearman_agent.output import progress, warn

# The server keeps the message in the node's events; keep it to what a person reads.
MAX_MESSAGE = 1000


def report_failure(
    client: Any, *, system_uuid: str, error: BaseException, agent_address: str, phase: str
) -> None:
    """Call ReportFailed with the error; a failing report is a warning, never a new error."""
    if not system_uuid:
        warn("cannot report the failure to the server: no system UUID")
        return
    message = one_line(str(error) or type(error).__name__)[:MAX_MESSAGE]
    if isinstance(error, ServerUnavailable):
        # The server was just unreachable: one more try, not another round of backoff.
        client = client.with_retry(RetryPolicy(retries=0))
    try:
        client.report_failed(system_uuid, message, agent_address, phase)
    except AgentError as problem:
        warn(f"could not report the failure to the server: {problem}")
        return
    progress(f"reported the failure to the server ({phase}); staying powered on at {agent_address}")
