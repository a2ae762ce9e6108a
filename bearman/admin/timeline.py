"""The boot timeline on the node's and the Baremetal's pages (bearman.services.timeline)."""

from datetime import timedelta

from bearman.models import Baremetal, BootStepName
from bearman.services.timeline import (
    RunState,
    Timeline,
    baremetal_timeline,
    registration_timeline,
)

from .display import exact_time

STATE_WORDS = {
    RunState.RUNNING: "in progress",
    RunState.DONE: "done",
    RunState.FAILED: "failed",
    RunState.STUCK: "past its deadline",
}


def elapsed(span: timedelta | None) -> str:
    """'+0:04:05' (hours, minutes, seconds; tenths under a minute); '' for the first step."""
    if span is None:
        return ""
    seconds = span.total_seconds()
    if seconds < 60:
        return f"+{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"+{minutes // 60}:{minutes % 60:02d}:{rest:02d}"


def timeline_display(title: str, timeline: Timeline) -> dict:
    """What the template shows of one run: rows ready to print, no logic left to it."""
    rows = [
        {
            "label": entry.label,
            "at": exact_time(entry.at),
            "after": elapsed(entry.since_previous),
            "detail": entry.detail,
        }
        for entry in timeline.entries
    ]
    waiting = BootStepName(timeline.waiting_for).label if timeline.waiting_for else ""
    return {
        "title": title,
        "state": timeline.state,
        "state_words": STATE_WORDS[timeline.state],
        "rows": rows,
        "waiting_for": waiting,
        "diagnosis": timeline.diagnosis,
        "total": elapsed(timeline.total).lstrip("+"),
        "deadline": exact_time(timeline.deadline) if timeline.deadline else "",
    }


class BaremetalTimelineMixin:
    """The Baremetal's page shows its current run's timeline."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            run = timeline_display("Boot timeline", baremetal_timeline(baremetal=obj))
            context["boot_timelines"] = [run]
        return super().render_change_form(request, context, add, change, form_url, obj)


class NodeTimelineMixin:
    """The node's page shows its Baremetal's timeline and its registration's."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            runs = []
            baremetal = Baremetal.objects.filter(node=obj).first()
            if baremetal is not None:
                title = f"Boot timeline of Baremetal {baremetal.hostname}"
                runs.append(timeline_display(title, baremetal_timeline(baremetal=baremetal)))
            registration = registration_timeline(uuid=obj.uuid)
            if registration.entries:
                runs.append(timeline_display("Registration timeline", registration))
            context["boot_timelines"] = runs
        return super().render_change_form(request, context, add, change, form_url, obj)
