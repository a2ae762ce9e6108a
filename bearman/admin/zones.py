"""The Zones page (Power operations → Zones): is each availability zone served, and how
much waits in it. The numbers come from bearman.services.zones; this only shows them."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from bearman.services.zones import zones_state

from .display import badge


class ZonesPageMixin:
    """Mixed into PowerOperationAdmin: its Zones page, linked from the operations list."""

    change_list_template = "admin/bearman/poweroperation/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.zones_view)
        return [path("zones/", view, name="bearman_zones"), *super().get_urls()]

    def zones_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = [
            {
                "name": zone.name,
                "workers": badge(
                    zone.summary, "ok" if zone.served else "look" if zone.workers else "bad"
                ),
                "lengths": [_count(zone.queue_lengths[lane]) for lane in zone.queue_lengths],
                "waiting": zone.waiting,
                "oldest": _seconds(zone.oldest_waiting_seconds),
            }
            for zone in zones_state()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Zones",
            "opts": self.model._meta,
            "zones": rows,
        }
        return TemplateResponse(request, "admin/bearman/zones.html", context)


def _count(length: int | None) -> str:
    return "unknown (broker away)" if length is None else str(length)


def _seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
