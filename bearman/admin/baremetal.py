from django.contrib import admin

from bearman.models import STATUS_TIMESTAMP_FIELDS, Baremetal
from bearman.services import baremetal_create, baremetal_delete, baremetal_update
from bearman.services.baremetals import BAREMETAL_SETTINGS

from .display import ConsoleStyle, ago, clipped, node_link, status_badge
from .forms import BaremetalAdminForm
from .timeline import BaremetalTimelineMixin

TIMESTAMPS = ("deploy_started_at", "deploying_at", "installed_at", "failed_at", "updated_at")


@admin.register(Baremetal)
class BaremetalAdmin(ConsoleStyle, BaremetalTimelineMixin, admin.ModelAdmin):
    form = BaremetalAdminForm
    list_display = (
        "host",
        "node_uuid",
        "profile_name",
        "status_badge",
        "vlan",
        "started",
        "changed",
        "failure",
    )
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
        # A Baremetal moves to another node or profile only by being recreated.
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

    @admin.display(description="Hostname", ordering="hostname")
    def host(self, baremetal):
        return clipped(baremetal.hostname, "clip-name")

    @admin.display(description="Profile", ordering="profile__name")
    def profile_name(self, baremetal):
        return clipped(baremetal.profile.name, "clip-name")

    @admin.display(description="Node", ordering="node__uuid")
    def node_uuid(self, baremetal):
        return node_link(baremetal.node)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, baremetal):
        return status_badge(baremetal)

    @admin.display(description="Started", ordering="deploy_started_at")
    def started(self, baremetal):
        return ago(baremetal.deploy_started_at)

    @admin.display(description="Since", ordering="updated_at")
    def changed(self, baremetal):
        return ago(status_since(baremetal))

    @admin.display(description="Failure reason")
    def failure(self, baremetal):
        return clipped(baremetal.last_error) if baremetal.last_error else ""


def status_since(baremetal: Baremetal):
    """When the Baremetal entered its current status (its last change for a status
    without a timestamp of its own)."""
    field = STATUS_TIMESTAMP_FIELDS.get(baremetal.status)
    return (getattr(baremetal, field) if field else None) or baremetal.updated_at
