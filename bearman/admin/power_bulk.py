"""Bulk power requests in the admin: read-only, to watch one move batch by batch."""

from django.contrib import admin
from django.utils.html import format_html

from bearman.models import PowerBulk
from bearman.services.power.bulk import power_bulk_tally

from .power import operations_link


@admin.register(PowerBulk)
class PowerBulkAdmin(admin.ModelAdmin):
    """Created by the node list's power actions and the REST API; advanced by the worker."""

    list_display = ("id", "action", "state", "requested_by", "progress", "created_at")
    list_filter = ("state", "action")
    fields = (
        "action",
        "state",
        "requested_by",
        "batch_size",
        "max_failure_percent",
        "progress",
        "operations",
        "refused",
        "stopped_reason",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Progress")
    def progress(self, bulk):
        tally = power_bulk_tally(bulk=bulk)
        return (
            f"{tally.succeeded} succeeded, {tally.failed} failed, {tally.in_flight} in flight, "
            f"{tally.not_queued} not queued, of {tally.total}"
        )

    @admin.display(description="Operations")
    def operations(self, bulk):
        if not bulk.operation_ids:
            return "—"
        return format_html(
            '<a href="{}">The operations queued so far</a>', operations_link(bulk.operation_ids)
        )
