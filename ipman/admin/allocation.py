from django.contrib import admin

from ipman.models import Allocation
from ipman.services import ip_release, ip_reserve

from .forms import AllocationAdminForm


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    form = AllocationAdminForm
    list_display = ("address", "pool", "owner", "note", "created_at")
    list_select_related = ("pool",)
    list_filter = ("pool",)
    search_fields = ("address", "owner")
    search_help_text = "Address or owner"
    ordering = ("pool__name", "id")
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        # An allocation changes hands only by being released and allocated again.
        return ("pool", "address", "owner", "created_at") if obj else ("created_at",)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["note"])
            return
        assignment = ip_reserve(pool=obj.pool, address=obj.address, owner=obj.owner, note=obj.note)
        obj.pk = Allocation.objects.get(pool=obj.pool, owner=assignment.owner).pk

    def delete_model(self, request, obj):
        ip_release(owner=obj.owner, pool=obj.pool)

    def delete_queryset(self, request, queryset):
        for allocation in queryset.select_related("pool"):
            ip_release(owner=allocation.owner, pool=allocation.pool)
