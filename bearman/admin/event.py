from django.contrib import admin

from bearman.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The per-node log: append-only, so read-only here."""

    list_display = ("created_at", "node", "kind", "actor", "message")
    list_select_related = ("node",)
    list_filter = ("kind", "created_at")
    search_fields = ("node__uuid", "message", "actor")
    date_hierarchy = "created_at"
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
