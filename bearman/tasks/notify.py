"""Notices to people and the deadlines that raise them."""

import logging

from celery import shared_task
from django.utils import timezone

from bearman.services.deadlines import deployments_flag_stuck, nodes_flag_silent_bmcs
from bearman.services.notices import NoticeDeliveryFailed
from bearman.services.notices import notices_flush as send_pending_notices
from bearman.services.queueing import TaskName

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name=TaskName.NOTICES_FLUSH,
    acks_late=True,
    max_retries=None,  # a notice waits for the webhook as long as it takes
)
def notices_flush(self) -> None:
    """Send the pending notices as one message; retry with backoff while the webhook fails."""
    try:
        sent = send_pending_notices()
    except NoticeDeliveryFailed as error:
        countdown = min(30 * 2**self.request.retries, 900)
        log.warning("notices not delivered (%s); retrying in %d s", error, countdown)
        raise self.retry(exc=error, countdown=countdown) from None
    if sent:
        log.info("sent %d notices", sent)


@shared_task(name=TaskName.OPERATIONS_DEADLINES, acks_late=True)
def operations_deadlines() -> None:
    """Flag deployments stuck past their deadline and BMCs that never answered."""
    now = timezone.now()
    stuck, silent = deployments_flag_stuck(now=now), nodes_flag_silent_bmcs(now=now)
    if stuck or silent:
        log.warning("deadlines: %d deployments stuck, %d BMCs silent", stuck, silent)
