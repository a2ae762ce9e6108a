"""Telling the server which step the run reached, for its boot timeline; never in the way."""

from __future__ import annotations

from typing import Any

from bearman_agent.client import RetryPolicy
from bearman_agent.errors import AgentError
from bearman_agent.output import warn
from bearman_agent.wire.bearman.v1 import agent_pb2

ARTIFACTS_DOWNLOADED = agent_pb2.PROGRESS_STEP_ARTIFACTS_DOWNLOADED
INSTALL_SCRIPT_STARTED = agent_pb2.PROGRESS_STEP_INSTALL_SCRIPT_STARTED
BMC_CONFIGURED = agent_pb2.PROGRESS_STEP_BMC_CONFIGURED
POWERING_OFF = agent_pb2.PROGRESS_STEP_POWERING_OFF


def report_step(client: Any, *, system_uuid: str, step: int) -> None:
    """ReportProgress once, retried once; a failing report is a warning, never an error.

    The timeline only shows where a run got to: an older server without the call, or one
    that is briefly away, must not fail an install that is going well.
    """
    try:
        client.with_retry(RetryPolicy(retries=1)).report_progress(system_uuid, step)
    except AgentError as problem:
        warn(f"could not report progress to the server: {problem}")
