from django.contrib import admin

from bearman.models import Event

from .read_only import ReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The per-node log: append-only, so read-only here."""

    list_display = ("created_at", "node", "kind", "actor", "message")
    list_select_related = ("node",)
    list_filter = ("kind", "created_at")
    search_fields = ("node__uuid", "message", "actor")
    date_hierarchy = "created_at"
    list_per_page = 100
