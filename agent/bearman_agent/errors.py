"""The agent's errors; each carries the exit code `bearman-cli` ends with."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_AUTH = 4
EXIT_REFUSED = 5
EXIT_TOOL_MISSING = 6
EXIT_STEP_FAILED = 7
EXIT_INTERRUPTED = 130

EXIT_CODES = (
    (EXIT_OK, "success"),
    (EXIT_INTERNAL, "internal error (a bug in bearman-cli)"),
    (EXIT_USAGE, "bad arguments, token, server address or kernel command line"),
    (EXIT_UNREACHABLE, "server unreachable or not answering (after retries)"),
    (EXIT_AUTH, "token rejected (UNAUTHENTICATED) or not allowed (PERMISSION_DENIED)"),
    (EXIT_REFUSED, "server refused the request (e.g. NOT_FOUND, FAILED_PRECONDITION)"),
    (EXIT_TOOL_MISSING, "a required tool is missing on this machine"),
    (EXIT_STEP_FAILED, "a local step failed: facts, ipmitool, download, install script, kexec"),
    (EXIT_INTERRUPTED, "interrupted"),
)


class AgentError(Exception):
    """Base of every error the agent reports to its user."""

    exit_code = EXIT_INTERNAL


class UsageError(AgentError):
    """Bad arguments or configuration."""

    exit_code = EXIT_USAGE


class ServerUnavailable(AgentError):
    """The server could not be reached or did not answer in time."""

    exit_code = EXIT_UNREACHABLE


class AuthenticationFailed(AgentError):
    """The server rejected the token."""

    exit_code = EXIT_AUTH


class ServerRefused(AgentError):
    """The server answered with an error for this request."""

    exit_code = EXIT_REFUSED


class ToolMissing(AgentError):
    """A program the agent needs is not installed."""

    exit_code = EXIT_TOOL_MISSING


class StepFailed(AgentError):
    """A local step (a command, a download, the install script) failed."""

    exit_code = EXIT_STEP_FAILED


class CommandFailed(StepFailed):
    """A command exited non-zero or timed out."""


class FactsIncomplete(StepFailed):
    """The facts lack something the server needs (the system UUID)."""


class FactsParseError(StepFailed):
    """A tool printed something the parser cannot read."""


class DownloadFailed(StepFailed):
    """An artifact could not be downloaded."""


class ChecksumMismatch(DownloadFailed):
    """A downloaded artifact does not have the expected sha256."""


class InstallScriptFailed(StepFailed):
    """The profile's install script failed."""


def one_line(message: str) -> str:
    """Squeeze a message onto one line, as every error the agent prints is."""
    return "; ".join(part.strip() for part in str(message).splitlines() if part.strip())
