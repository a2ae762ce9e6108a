"""The CLI's errors; each carries the exit code `bearman` ends with."""

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_AUTH = 4
EXIT_NOT_FOUND = 5
EXIT_REFUSED = 6
EXIT_OPERATION_FAILED = 7
EXIT_INTERRUPTED = 130

EXIT_CODES = (
    (EXIT_OK, "success"),
    (EXIT_INTERNAL, "internal error (a bug in bearman)"),
    (EXIT_USAGE, "bad arguments, or no server URL or token configured"),
    (EXIT_UNREACHABLE, "server unreachable, too slow, or failing (HTTP 5xx)"),
    (EXIT_AUTH, "token missing or rejected (401), or not allowed (403)"),
    (EXIT_NOT_FOUND, "no such node, flavor, profile, Baremetal or pool (404)"),
    (EXIT_REFUSED, "refused: invalid input (400) or not possible now (409)"),
    (EXIT_OPERATION_FAILED, "a power operation failed, or did not finish in time"),
    (EXIT_INTERRUPTED, "interrupted"),
)


class CliError(Exception):
    """Base of every error reported to the user; the message is for people."""

    exit_code = EXIT_INTERNAL


class UsageError(CliError):
    exit_code = EXIT_USAGE


class ServerUnreachable(CliError):
    exit_code = EXIT_UNREACHABLE


class OperationFailed(CliError):
    exit_code = EXIT_OPERATION_FAILED


class ApiError(CliError):
    """The API answered with an error; its exit code follows the HTTP status."""

    def __init__(self, status: int, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status = status
        self.fields = fields or {}
        self.exit_code = exit_code_for_status(status)


def exit_code_for_status(status: int) -> int:
    if status in (401, 403):
        return EXIT_AUTH
    if status == 404:
        return EXIT_NOT_FOUND
    if status >= 500:
        return EXIT_UNREACHABLE
    return EXIT_REFUSED
