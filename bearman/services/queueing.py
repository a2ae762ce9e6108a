"""Handing work to the worker once the request's transaction has committed."""

import logging

from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)


def task_queue(task, *args, countdown: float | None = None, what: str, meanwhile: str) -> bool:
    """Queue `task(*args)`; with the broker down, log it and return False instead of raising.

    Callers run this after their commit: the request they serve has succeeded, and an
    error now would tell the client otherwise. `meanwhile` says what picks the work up.
    """
    try:
        task.apply_async(args, countdown=countdown)
    except OperationalError as error:
        log.error("%s not queued, the broker did not take it (%s); %s", what, error, meanwhile)
        return False
    return True
