"""Notices: raised where something fails, sent in batches by the worker, never lost.

A notice is a row first (inside the failing call's transaction). One flusher at a time
(a lease on the NoticeFlusher row: the database decides, not the broker) posts the
pending ones in messages of at most BEARMAN_NOTIFY_MAX_BYTES and marks them sent. A
webhook that fails is left alone for a backoff that doubles (or for its Retry-After),
then the periodic flush tries again: a failed flush queues no retry of its own. What the
webhook can never take (too large, refused again and again, or waiting too long) is
marked undeliverable with the reason, for the admin and /metrics.
"""

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from bearman.errors import BearmanError
from bearman.metrics import NOTICES_UNDELIVERABLE
from bearman.models import Node, Notice, NoticeKind
from bearman.models.notice import NoticeFlusher, NoticeState, NoticeUndeliverable

from .queueing import Lane, TaskName, task_queue

log = logging.getLogger(__name__)

MAX_PER_MESSAGE = 200
# A flusher starts no post after this long, so that its task ends well inside the
# broker's visibility timeout (else Redis hands the task to a second worker too).
FLUSH_BUDGET_SECONDS = 60
# The longest Retry-After honoured: a webhook asking for a day is broken, not busy.
RETRY_AFTER_MAX_SECONDS = 3600
CUT_MARKER = " … [cut to fit the webhook: {length} characters in all, full text in the admin]"
FLUSHER_PK = 1


class NoticeDeliveryFailed(BearmanError):
    """The webhook did not take the message."""


class _FlushStopped(Exception):
    """This flusher lost its lease or spent its time budget: the next flush goes on."""


def notice_raise(*, node: Node, kind: NoticeKind, message: str, ssh_address: str = "") -> Notice:
    """Record a notice; the worker sends it (with any others raised meanwhile)."""
    notice = Notice.objects.create(
        node=node, kind=kind, message=message, ssh_address=ssh_address or None
    )
    transaction.on_commit(_schedule_flush)
    return notice


def _schedule_flush() -> None:
    # After the batch window, so a burst of failures goes out as one message; in the
    # background lane, as beat's flush (CELERY_TASK_ROUTES): a slow webhook may hold a
    # flusher for FLUSH_BUDGET_SECONDS, never one of the operator lane's processes.
    task_queue(
        TaskName.NOTICES_FLUSH,
        lane=Lane.BACKGROUND,
        countdown=_below_visibility_timeout(settings.BEARMAN_NOTIFY_BATCH_SECONDS),
        what="notice flush",
        meanwhile="the periodic flush sends the notices",
    )


def _below_visibility_timeout(seconds: float) -> float:
    # Redis hands a message it has held longer than its visibility timeout (a countdown
    # included) to another worker as well: one task would run several times.
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    visibility = options.get("visibility_timeout")
    return min(seconds, visibility / 2) if visibility else seconds


@dataclass
class _Flush:
    """One flusher's lease, on the caller's clock (tests run minutes in a moment)."""

    token: str
    started: datetime
    began: float = field(default_factory=time.monotonic)
    sent: int = 0
    # The smallest body the webhook answered 413 to in this flush (halved for one notice).
    refused_size: int = 2**62

    def limit(self) -> int:
        return min(settings.BEARMAN_NOTIFY_MAX_BYTES, self.refused_size - 1)

    def limit_reason(self) -> str:
        if self.refused_size - 1 < settings.BEARMAN_NOTIFY_MAX_BYTES:
            return f"what the webhook takes (it answered 413 to {self.refused_size} bytes or more)"
        return f"BEARMAN_NOTIFY_MAX_BYTES ({settings.BEARMAN_NOTIFY_MAX_BYTES})"

    def now(self) -> datetime:
        return self.started + timedelta(seconds=time.monotonic() - self.began)

    def over_budget(self) -> bool:
        return time.monotonic() - self.began > FLUSH_BUDGET_SECONDS


def notices_flush(*, now: datetime | None = None) -> int:
    """Send the pending notices, one flusher at a time; returns how many went out.

    Raises NoticeDeliveryFailed when the webhook did not take a message: the notices
    wait for the first flush after the backoff.
    """
    if not settings.BEARMAN_NOTIFY_WEBHOOK_URL:
        return 0
    flush = _lease_take(now or timezone.now())
    if flush is None:
        return 0  # another flusher is at work, or the webhook's backoff is not over
    try:
        notices_expire(now=flush.now())
        _send_pending(flush)
    except _FlushStopped:
        pass
    finally:
        _lease_release(flush)
    return flush.sent


def notices_expire(*, now: datetime) -> int:
    """Give up on notices still waiting after BEARMAN_NOTIFY_MAX_AGE_HOURS."""
    cutoff = now - timedelta(hours=settings.BEARMAN_NOTIFY_MAX_AGE_HOURS)
    old = Notice.objects.filter(state=NoticeState.PENDING, created_at__lt=cutoff)
    return _give_up(old, NoticeUndeliverable.EXPIRED, now=now)


def _lease_length() -> timedelta:
    # Renewed before every post: it must outlast one post; a dead flusher's lapses soon.
    return timedelta(seconds=2 * settings.BEARMAN_NOTIFY_TIMEOUT_SECONDS + 30)


def _lease_take(now: datetime) -> _Flush | None:
    NoticeFlusher.objects.get_or_create(pk=FLUSHER_PK)
    token = uuid.uuid4().hex
    free = Q(leased_until=None) | Q(leased_until__lt=now)
    due = Q(next_attempt_at=None) | Q(next_attempt_at__lte=now)
    taken = NoticeFlusher.objects.filter(free, due, pk=FLUSHER_PK).update(
        holder=token, leased_until=now + _lease_length()
    )
    return _Flush(token=token, started=now) if taken else None


def _lease_renew(flush: _Flush) -> None:
    if flush.over_budget():
        raise _FlushStopped
    held = NoticeFlusher.objects.filter(pk=FLUSHER_PK, holder=flush.token)
    if not held.update(leased_until=flush.now() + _lease_length()):
        log.warning("notice flusher lost its lease; the flusher holding it goes on")
        raise _FlushStopped


def _lease_release(flush: _Flush) -> None:
    NoticeFlusher.objects.filter(pk=FLUSHER_PK, holder=flush.token).update(
        holder="", leased_until=None
    )


def _send_pending(flush: _Flush) -> None:
    while True:
        pending = Notice.objects.filter(state=NoticeState.PENDING).select_related("node")
        batch = list(pending[:MAX_PER_MESSAGE])
        if not batch:
            return
        _deliver(flush, batch)


def _deliver(flush: _Flush, batch: list[Notice]) -> None:
    """Post `batch`, halving it while it is too large; every notice ends sent or given up."""
    limit, body = flush.limit(), _body(batch)
    if len(body) > limit:
        if len(batch) > 1:
            return _deliver_halves(flush, batch)
        body = _body_cut(batch[0], limit)
        if len(body) > limit:
            error = f"{len(body)} bytes even cut short, above {flush.limit_reason()}"
            return _give_up_batch(batch, NoticeUndeliverable.TOO_LARGE, error, now=flush.now())
    answer = _post(flush, batch, body)
    if answer.ok:
        return _mark_sent(flush, batch)
    if answer.status != 413:
        return _failed(flush, batch, answer)
    # Remember the webhook's limit for this flush: no other body that large is posted.
    # One notice alone is cut to half and tried again, until it fits or cannot shrink.
    flush.refused_size = min(flush.refused_size, len(body) if len(batch) > 1 else len(body) // 2)
    return _deliver(flush, batch)


def _deliver_halves(flush: _Flush, batch: list[Notice]) -> None:
    middle = len(batch) // 2
    _deliver(flush, batch[:middle])
    _deliver(flush, batch[middle:])


def _body(batch: list[Notice]) -> bytes:
    return json.dumps(notice_payload(batch)).encode()


def _body_cut(notice: Notice, limit: int) -> bytes:
    # One notice too large alone (an agent's long message): cut its message in the
    # message only, so that people still hear of it; the admin keeps the full text.
    full = notice.message
    marker = CUT_MARKER.format(length=len(full))
    body = _body([notice])
    for _ in range(8):  # escaping makes the size per character uneven: converge
        if len(body) <= limit:
            break
        keep = max(0, int(len(notice.message) * limit / len(body) * 0.9) - len(marker))
        notice.message = full[:keep] + marker
        body = _body([notice])
    return body


@dataclass
class _Answer:
    ok: bool
    status: int | None = None  # None: no HTTP answer at all (refused, timed out)
    error: str = ""
    retry_after: float | None = None


def _post(flush: _Flush, batch: list[Notice], body: bytes) -> _Answer:
    _lease_renew(flush)
    Notice.objects.filter(pk__in=[n.pk for n in batch]).update(
        claimed_at=flush.now(), attempts=F("attempts") + 1
    )
    try:
        post_webhook(body)
    except urllib.error.HTTPError as error:
        retry_after = _retry_after(error.headers.get("Retry-After"))
        text = f"webhook answered {error.code} {error.reason} for {len(body)} bytes"
        return _Answer(ok=False, status=error.code, error=text, retry_after=retry_after)
    except (OSError, http.client.HTTPException) as error:  # refused, timed out, garbled
        return _Answer(
            ok=False, error=f"webhook did not take the notices: {type(error).__name__}: {error}"
        )
    return _Answer(ok=True)


def _mark_sent(flush: _Flush, batch: list[Notice]) -> None:
    Notice.objects.filter(pk__in=[n.pk for n in batch]).update(
        state=NoticeState.SENT, sent_at=flush.now()
    )
    NoticeFlusher.objects.filter(pk=FLUSHER_PK).update(failures=0, next_attempt_at=None)
    flush.sent += len(batch)


def _failed(flush: _Flush, batch: list[Notice], answer: _Answer) -> None:
    """Back off from the webhook; a notice it keeps refusing (4xx) is given up on."""
    now = flush.now()
    ids = [n.pk for n in batch]
    Notice.objects.filter(pk__in=ids).update(claimed_at=None, last_error=answer.error[:1000])
    if answer.status and 400 <= answer.status < 500 and answer.status != 429:
        refused = Notice.objects.filter(
            pk__in=ids, attempts__gte=settings.BEARMAN_NOTIFY_MAX_ATTEMPTS
        )
        _give_up(refused, NoticeUndeliverable.REFUSED, now=now)
    flusher = NoticeFlusher.objects.get(pk=FLUSHER_PK)
    delay = answer.retry_after
    if delay is None:
        delay = min(
            settings.BEARMAN_NOTIFY_RETRY_SECONDS * 2**flusher.failures,
            settings.BEARMAN_NOTIFY_RETRY_MAX_SECONDS,
        )
    NoticeFlusher.objects.filter(pk=FLUSHER_PK).update(
        failures=F("failures") + 1, next_attempt_at=now + timedelta(seconds=delay)
    )
    raise NoticeDeliveryFailed(f"{answer.error}; next try in {delay:.0f} s")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), None if absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_SECONDS)


def _give_up_batch(batch: list[Notice], reason: NoticeUndeliverable, error: str, *, now) -> None:
    notices = Notice.objects.filter(pk__in=[n.pk for n in batch])
    notices.update(last_error=error[:1000])
    _give_up(notices, reason, now=now)


def _give_up(notices, reason: NoticeUndeliverable, *, now: datetime) -> int:
    count = notices.update(
        state=NoticeState.UNDELIVERABLE, undeliverable=reason, undeliverable_at=now, claimed_at=None
    )
    if count:
        NOTICES_UNDELIVERABLE.labels(reason).inc(count)
        log.error("%d notices undeliverable: %s", count, reason.label)
    return count


def notice_payload(notices: list[Notice]) -> dict:
    """A Slack-compatible message (`text`) that also carries the notices as data."""
    items = [notice_item(n) for n in notices]
    if len(items) == 1:
        text = f":rotating_light: {_line(items[0])}"
    else:
        text = f":rotating_light: {len(items)} Bearman notices:\n" + "\n".join(
            f"• {_line(item)}" for item in items
        )
    return {"text": text, "notices": items}


def notice_item(notice: Notice) -> dict:
    node = notice.node
    baremetal = getattr(node, "baremetal", None)
    return {
        "id": notice.pk,  # the same notice posted twice (a flusher died mid-post) has one id
        "kind": notice.kind,
        "what": notice.get_kind_display(),
        "message": notice.message,
        "when": notice.created_at.isoformat(),
        "node_uuid": node.uuid,
        "serial": node.serial,
        "hostname": baremetal.hostname if baremetal else "",
        "ssh": f"ssh root@{notice.ssh_address}" if notice.ssh_address else "",
        "admin_url": _admin_url(node),
    }


def _line(item: dict) -> str:
    # Agents write the messages (and serials): in Slack's markup, a "<!channel>" or a
    # "<http://…|Click here>" of theirs would ping everyone or hide a link.
    text = {key: slack_escape(str(value)) for key, value in item.items()}
    who = ", ".join(filter(None, [text["serial"] and f"serial {text['serial']}", text["hostname"]]))
    parts = [
        f"*{text['what']}* — node {text['node_uuid']}" + (f" ({who})" if who else ""),
        f"at {text['when']}: {text['message']}",
    ]
    if item["ssh"]:
        parts.append(f"`{text['ssh']}`")
    if item["admin_url"]:
        parts.append(f"<{item['admin_url']}|admin>")
    return " ".join(parts)


def slack_escape(text: str) -> str:
    """`text` shown as itself in Slack mrkdwn: &, < and > as entities, as Slack documents."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _admin_url(node: Node) -> str:
    base = settings.BEARMAN_ADMIN_URL
    return f"{base}{reverse('admin:bearman_node_change', args=[node.pk])}" if base else ""


def post_webhook(body: bytes) -> None:
    """POST `body` as JSON; OSError (urllib's HTTPError for a non-2xx answer) otherwise."""
    request = urllib.request.Request(
        settings.BEARMAN_NOTIFY_WEBHOOK_URL,
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.BEARMAN_NOTIFY_TIMEOUT_SECONDS):
        return
