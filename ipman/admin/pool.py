from django.contrib import admin

from ipman.models import Pool
from ipman.selectors import pool_list_with_usage, pool_usage
from ipman.services import pool_create, pool_delete, pool_update
from ipman.services.pools import POOL_FIELDS

from .forms import PoolAdminForm


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):
    form = PoolAdminForm
    list_display = ("name", "network", "purpose", "availability_zone", "vlan", "gateway", "usage")
    list_filter = ("purpose", "availability_zone")
    search_fields = ("name", "network", "description")
    readonly_fields = ("usage", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "description", "purpose", "availability_zone", "usage")}),
        ("Network", {"fields": ("network", "gateway", "vlan")}),
        ("Addresses handed out", {"fields": ("range_first", "range_last", "reserved")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return pool_list_with_usage()

    @admin.display(description="Usage")
    def usage(self, pool):
        if not pool.pk:
            return "—"
        usage = pool_usage(pool=pool)
        return f"{usage.used:,} / {usage.total:,} ({usage.percent:.1f} %)"

    def save_model(self, request, obj, form, change):
        if change:
            pool_update(pool=obj, **{field: getattr(obj, field) for field in form.changed_data})
            return
        obj.pk = pool_create(**{field: getattr(obj, field) for field in POOL_FIELDS}).pk

    def delete_model(self, request, obj):
        pool_delete(pool=obj)

    def delete_queryset(self, request, queryset):
        for pool in queryset:
            pool_delete(pool=pool)
