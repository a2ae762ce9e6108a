from django.contrib import admin

from bearman.models import Event

from .display import ConsoleStyle, ago, clipped, node_link
from .read_only import ReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ConsoleStyle, ReadOnlyAdmin):
    """The per-node log: append-only, so read-only here."""

    list_display = ("when", "node_uuid", "kind", "actor", "text")
    list_select_related = ("node",)
    list_filter = ("kind", "created_at")
    search_fields = ("node__uuid", "message", "actor")
    date_hierarchy = "created_at"
    list_per_page = 100

    @admin.display(description="When", ordering="created_at")
    def when(self, event):
        return ago(event.created_at)

    @admin.display(description="Node", ordering="node__uuid")
    def node_uuid(self, event):
        return node_link(event.node)

    @admin.display(description="Message")
    def text(self, event):
        return clipped(event.message, "clip-wide")
