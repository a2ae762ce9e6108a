"""Small HTML builders for the admin's lists and read-only fields; every value is escaped.

One place for how the console shows a UUID, a status, a time or a long text, so that
every list reads the same and stays narrow enough for a 1366 px screen.
"""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from bearman.models import OperationState, PowerState
from bearman.states import DeployStatus, NodeStatus

SHORT_UUID = 8  # as `git log --oneline`: enough to tell nodes apart on one screen

# A badge's colour says whether the operator needs to look: ok, busy, look, bad, idle.
TONES = {
    NodeStatus.DISCOVERED: "look",
    NodeStatus.REGISTERED: "busy",
    NodeStatus.READY: "ok",
    NodeStatus.MAINTENANCE: "look",
    NodeStatus.RETIRED: "idle",
    NodeStatus.ERROR: "bad",
    DeployStatus.DEPLOY_START: "busy",
    DeployStatus.DEPLOYING: "busy",
    DeployStatus.INSTALLED: "ok",
    DeployStatus.UNRECOVERABLE_ERROR: "bad",
}
POWER_TONES = {PowerState.ON: "ok", PowerState.OFF: "idle", PowerState.UNKNOWN: "look"}
OPERATION_TONES = {
    OperationState.PENDING: "busy",
    OperationState.RUNNING: "busy",
    OperationState.SUCCEEDED: "ok",
    OperationState.FAILED: "bad",
}


class ConsoleStyle:
    """Mixed into an admin: the console's stylesheet (badges, short UUIDs, clipped texts)."""

    class Media:
        css = {"all": ["bearman/admin.css"]}


def short_uuid(uuid: str):
    """The first characters of `uuid`; the whole one on hover, and in a copy of the text."""
    head, tail = uuid[:SHORT_UUID], uuid[SHORT_UUID:]
    return format_html(
        '<span class="uuid" title="{}">{}<span class="uuid-tail">{}</span></span>',
        uuid,
        head,
        tail,
    )


def link_to(record, text):
    """`text` linking to `record`'s admin page."""
    meta = record._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])
    return format_html('<a href="{}">{}</a>', url, text)


def node_link(node):
    """The node's short UUID, linking to its page."""
    return link_to(node, short_uuid(node.uuid))


def badge(label: str, tone: str):
    """`label` on a coloured pill; `tone` is one of ok, busy, look, bad, idle."""
    return format_html('<span class="badge badge-{}">{}</span>', tone, label)


def status_badge(record, field: str = "status", tones: dict = TONES):
    """The badge of a choice field, e.g. a node's status or power state."""
    value = getattr(record, field)
    label = getattr(record, f"get_{field}_display")()
    return badge(label, tones.get(value, "idle"))


def exact_time(moment: datetime) -> str:
    """To the second, in the server's time zone, with the zone named."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S %Z}"


def ago(moment: datetime | None, now: datetime | None = None):
    """'3 min ago', with the exact time on hover; '—' when it never happened."""
    if moment is None:
        return "—"
    return format_html(
        '<time class="ago" datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        exact_time(moment),
        relative(moment, now or timezone.now()),
    )


def moment_and_ago(moment: datetime | None):
    """For a detail page: the exact time, then how long ago ('—' when it never happened)."""
    if moment is None:
        return "—"
    return format_html("{} ({})", exact_time(moment), ago(moment))


def relative(moment: datetime, now: datetime) -> str:
    """A short distance in time: '12 s ago', '3 min ago', '5 h ago', '2 d ago', 'in 4 min'."""
    seconds = int((now - moment).total_seconds())
    span = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if span >= size:
            amount = f"{span // size} {unit}"
            break
    else:
        amount = f"{span} s"
    return f"{amount} ago" if seconds >= 0 else f"in {amount}"


def clipped(text: str, css: str = "clip"):
    """One line cut to the column's width with an ellipsis; the whole text on hover."""
    if not text:
        return "—"
    return format_html('<span class="{}" title="{}">{}</span>', css, text, text)


def html_table(headers: list[str], rows: list[list], empty: str = "—"):
    """A compact table of `rows` under `headers`, or `empty` when there are none."""
    if not rows:
        return empty
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html(
        '<table class="facts"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body
    )
