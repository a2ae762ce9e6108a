"""Notices to people and the deadlines that raise them."""

import logging

from celery import shared_task
from django.utils import timezone

from bearman.services.admission import nodes_disarm_expired
from bearman.services.deadlines import baremetals_flag_stuck, nodes_flag_silent_bmcs
from bearman.services.notices import NoticeDeliveryFailed
from bearman.services.notices import notices_flush as send_pending_notices
from bearman.services.queueing import TaskName
from bearman.services.timeline import boot_steps_of_strangers_forget

log = logging.getLogger(__name__)


# No retries of its own: the periodic flush is the retry, after the backoff kept in the
# database. A retry chain per failed flush (one per beat tick) was a storm, and countdowns
# longer than Redis's visibility timeout ran the same task several times.
@shared_task(name=TaskName.NOTICES_FLUSH, acks_late=True)
def notices_flush() -> None:
    """Send the pending notices (one flusher at a time); a failure waits for a later flush."""
    try:
        sent = send_pending_notices()
    except NoticeDeliveryFailed as error:
        log.warning("notices not delivered (%s); the periodic flush tries again", error)
        return
    if sent:
        log.info("sent %d notices", sent)


@shared_task(name=TaskName.OPERATIONS_DEADLINES, acks_late=True)
def operations_deadlines() -> None:
    """Flag Baremetals stuck past their deadline and BMCs that never answered; forget
    re-registration armings past their time."""
    now = timezone.now()
    stuck, silent = baremetals_flag_stuck(now=now), nodes_flag_silent_bmcs(now=now)
    if stuck or silent:
        log.warning("deadlines: %d Baremetals stuck, %d BMCs silent", stuck, silent)
    nodes_disarm_expired(now=now)
    boot_steps_of_strangers_forget(now=now)
