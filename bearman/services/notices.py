"""Notices: raised where something fails, sent in batches by the worker, never lost.

A notice is a row first (inside the failing call's transaction); a worker claims
the pending ones, posts them as one message and marks them sent. A webhook that is
down leaves them pending for the next try.
"""

import json
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from bearman.errors import BearmanError
from bearman.models import Node, Notice, NoticeKind

from .queueing import TaskName, task_queue

MAX_PER_MESSAGE = 200
# A claim older than this belongs to a worker that died mid-send: take it over.
CLAIM_EXPIRY = timedelta(minutes=5)


class NoticeDeliveryFailed(BearmanError):
    """The webhook did not take the message."""


def notice_raise(*, node: Node, kind: NoticeKind, message: str, ssh_address: str = "") -> Notice:
    """Record a notice; the worker sends it (with any others raised meanwhile)."""
    notice = Notice.objects.create(
        node=node, kind=kind, message=message, ssh_address=ssh_address or None
    )
    transaction.on_commit(_schedule_flush)
    return notice


def _schedule_flush() -> None:
    # After the batch window, so a burst of failures goes out as one message.
    task_queue(
        TaskName.NOTICES_FLUSH,
        countdown=settings.BEARMAN_NOTIFY_BATCH_SECONDS,
        what="notice flush",
        meanwhile="the periodic flush sends the notices",
    )


def notices_flush(*, now=None) -> int:
    """Send every pending notice as one message; returns how many went out."""
    if not settings.BEARMAN_NOTIFY_WEBHOOK_URL:
        return 0
    now = now or timezone.now()
    claimed = _claim(now)
    if not claimed:
        return 0
    try:
        post_webhook(notice_payload(claimed))
    except NoticeDeliveryFailed as error:
        Notice.objects.filter(pk__in=[n.pk for n in claimed]).update(
            claimed_at=None, last_error=str(error)[:1000]
        )
        raise
    Notice.objects.filter(pk__in=[n.pk for n in claimed]).update(sent_at=timezone.now())
    return len(claimed)


def _claim(now) -> list[Notice]:
    with transaction.atomic():
        free = Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_EXPIRY)
        pending = list(
            Notice.objects.select_for_update(skip_locked=True)
            .filter(free, sent_at=None)
            .select_related("node")[:MAX_PER_MESSAGE]
        )
        for notice in pending:
            notice.attempts += 1
        Notice.objects.bulk_update([_stamped(n, now) for n in pending], ["claimed_at", "attempts"])
    return pending


def _stamped(notice: Notice, now) -> Notice:
    notice.claimed_at = now
    return notice


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


def post_webhook(payload: dict) -> None:
    """POST the message; NoticeDeliveryFailed unless the webhook answers 2xx in time."""
    request = urllib.request.Request(
        settings.BEARMAN_NOTIFY_WEBHOOK_URL,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.BEARMAN_NOTIFY_TIMEOUT_SECONDS):
            return
    except OSError as error:  # URLError, HTTPError, timeouts and refused connections
        raise NoticeDeliveryFailed(f"webhook did not take the notices: {error}") from None
