from django.contrib import admin

from bearman.models import Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
