from django.contrib import admin

from bearman.models import Baremetal
from bearman.services import baremetal_create, baremetal_delete, baremetal_update
from bearman.services.baremetals import BAREMETAL_SETTINGS

from .forms import BaremetalAdminForm

TIMESTAMPS = ("deploy_started_at", "deploying_at", "installed_at", "failed_at", "updated_at")


@admin.register(Baremetal)
class BaremetalAdmin(admin.ModelAdmin):
    form = BaremetalAdminForm
    list_display = ("hostname", "node", "profile", "status", "vlan", *TIMESTAMPS)
    list_select_related = ("node", "profile")
    list_filter = ("status", "profile")
    search_fields = ("hostname", "node__uuid", "node__serial")
    autocomplete_fields = ("node",)
    readonly_fields = ("addresses", "last_error", *TIMESTAMPS)

    def get_fields(self, request, obj=None):
        fields = ["node", "profile", "hostname", "vlan"]
        if obj:
            fields[1:1] = ["status"]
            fields += ["addresses", "last_error", *TIMESTAMPS]
        return fields

    def get_readonly_fields(self, request, obj=None):
        # A deployment moves to another node or profile only by being recreated.
        return ("node", "profile", *self.readonly_fields) if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        actor = request.user.get_username()
        if not change:
            created = baremetal_create(
                node=obj.node,
                profile=obj.profile,
                hostname=obj.hostname,
                vlan=obj.vlan,
                actor=actor,
            )
            obj.pk = created.pk
            return
        # The service compares with what is stored, not with the form's copy.
        baremetal_update(
            baremetal=Baremetal.objects.select_related("node").get(pk=obj.pk),
            actor=actor,
            status=form.cleaned_data["status"],
            **{f: form.cleaned_data[f] for f in form.changed_data if f in BAREMETAL_SETTINGS},
        )

    def delete_model(self, request, obj):
        baremetal_delete(baremetal=obj, actor=request.user.get_username())

    def delete_queryset(self, request, queryset):
        for baremetal in queryset.select_related("node"):
            baremetal_delete(baremetal=baremetal, actor=request.user.get_username())
