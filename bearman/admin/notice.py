from django.contrib import admin

from bearman.models import Notice

from .read_only import ReadOnlyAdmin


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """Notices and how their delivery went; the flusher writes them, so read-only here."""

    list_display = (
        "created_at",
        "node",
        "kind",
        "state",
        "undeliverable",
        "attempts",
        "sent_at",
        "last_error",
    )
    list_select_related = ("node",)
    list_filter = ("state", "undeliverable", "kind")
    search_fields = ("node__uuid", "message", "last_error")
    date_hierarchy = "created_at"
    list_per_page = 100
