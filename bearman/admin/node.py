from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from bearman import facts
from bearman.models import Node
from bearman.services import node_create, node_delete, node_update
from bearman.services.nodes import NODE_SETTINGS
from bearman.validators import mac_search_term

from .conformance import ConformanceFilter, NodeConformanceMixin, recheck_conformance
from .deploy import deploy_default_profile
from .display import html_table
from .forms import NodeAdminForm
from .node_trust import accept_discovered, arm_reregistration
from .power import NodePowerMixin

RECENT_EVENTS = 50


@admin.register(Node)
class NodeAdmin(NodePowerMixin, NodeConformanceMixin, admin.ModelAdmin):
    form = NodeAdminForm
    actions = [
        *NodePowerMixin.actions,
        deploy_default_profile,
        accept_discovered,
        arm_reregistration,
        recheck_conformance,
    ]
    list_display = (
        "uuid",
        "serial",
        "vendor",
        "product_name",
        "flavor",
        "availability_zone",
        "bmc_address",
        "status",
        "power_state",
        "deployment_status",
    )
    list_select_related = ("flavor", "baremetal")
    list_filter = (
        "flavor",
        "availability_zone",
        "status",
        ConformanceFilter,
        "vendor",
        "power_state",
    )
    search_fields = ("uuid", "serial", "bmc_address", "baremetal__hostname", "mac_addresses")
    search_help_text = "UUID, serial, IPMI IP, hostname or MAC"
    list_per_page = 100
    readonly_fields = (
        "bmc_password_state",
        "power_state",
        "power_state_at",
        "cpu",
        "memory",
        "nics",
        "disks",
        "firmware",
        "first_registered_at",
        "last_registered_at",
        "created_at",
        "updated_at",
        "recent_events",
        "recent_power_operations",
        "conformance",
    )
    fieldsets = (
        (None, {"fields": ("uuid", "serial", "vendor", "product_name", "status")}),
        ("Placement", {"fields": ("flavor", "availability_zone")}),
        (
            "BMC",
            {
                "fields": (
                    "bmc_driver",
                    "bmc_address",
                    "bmc_port",
                    "bmc_username",
                    "bmc_options",
                    "bmc_password_state",
                    "new_bmc_password",
                    "clear_bmc_password",
                    "power_state",
                    "power_state_at",
                    "recent_power_operations",
                )
            },
        ),
        ("Hardware", {"fields": ("cpu", "memory", "nics", "disks", "firmware")}),
        ("Conformance", {"fields": ("conformance",)}),
        (
            "History",
            {
                "fields": (
                    "first_registered_at",
                    "last_registered_at",
                    "created_at",
                    "updated_at",
                    "recent_events",
                )
            },
        ),
    )

    class Media:
        css = {"all": ["bearman/admin.css"]}

    def has_deploy_permission(self, request):
        # Both: Django offers an action to holders of ANY permission it lists.
        return request.user.has_perms(["bearman.add_baremetal", "bearman.operate_power"])

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # Moving the BMC decides where its password goes: the form refuses it without this.
        form.may_operate_power = request.user.has_perm("bearman.operate_power")
        return form

    def get_readonly_fields(self, request, obj=None):
        # The UUID is the node's identity: typed once, never edited.
        return ("uuid", *self.readonly_fields) if obj else self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        # Operators paste MACs in whatever spelling their switch prints.
        terms = [mac_search_term(term) for term in search_term.split()]
        return super().get_search_results(request, queryset, " ".join(terms))

    def save_model(self, request, obj, form, change):
        if not change:  # typed in by hand, before it ever registered
            created = node_create(
                uuid=obj.uuid,
                actor=request.user.get_username(),
                status=form.cleaned_data["status"],
                bmc_password=bmc_password_of(form.cleaned_data) or "",
                # The form's node holds the fields' defaults where the form left them out.
                **{f: getattr(obj, f) for f in NODE_SETTINGS},
            )
            obj.pk = created.pk
            return
        # The service compares with what is stored, not with the form's copy of the node.
        node_update(
            node=Node.objects.get(pk=obj.pk),
            actor=request.user.get_username(),
            may_operate_power=form.may_operate_power,
            status=form.cleaned_data["status"],
            bmc_password=bmc_password_of(form.cleaned_data),
            **{f: form.cleaned_data[f] for f in form.changed_data if f in NODE_SETTINGS},
        )

    def delete_model(self, request, obj):
        node_delete(node=obj, actor=request.user.get_username())

    def delete_queryset(self, request, queryset):
        for node in queryset:
            node_delete(node=node, actor=request.user.get_username())

    @admin.display(description="Deployment", ordering="baremetal__status")
    def deployment_status(self, node):
        baremetal = getattr(node, "baremetal", None)
        return baremetal.get_status_display() if baremetal else "—"

    @admin.display(description="BMC password")
    def bmc_password_state(self, node):
        return "set (hidden)" if node.has_bmc_password else "not set"

    @admin.display(description="CPU")
    def cpu(self, node):
        return facts.fact_cpu(node.facts) or "—"

    @admin.display(description="Memory")
    def memory(self, node):
        return facts.fact_memory(node.facts) or "—"

    @admin.display(description="Network interfaces")
    def nics(self, node):
        columns = ["name", "mac", "speed", "link", "switch", "port", "port_description"]
        rows = [[nic[c] for c in columns] for nic in facts.fact_nics(node.facts)]
        headers = ["Name", "MAC", "Speed", "Link", "LLDP switch", "Port", "Port description"]
        return html_table(headers, rows)

    @admin.display(description="Disks")
    def disks(self, node):
        columns = ["name", "model", "serial", "size", "kind"]
        rows = [[disk[c] for c in columns] for disk in facts.fact_disks(node.facts)]
        return html_table(["Name", "Model", "Serial", "Size", "Kind"], rows)

    @admin.display(description="Firmware")
    def firmware(self, node):
        rows = [[name, version] for name, version in facts.fact_firmware(node.facts).items()]
        return html_table(["Component", "Version"], rows)

    @admin.display(description="Events (newest first)")
    def recent_events(self, node):
        if not node.pk:
            return "—"
        events = node.events.all()[:RECENT_EVENTS]
        rows = [
            [f"{e.created_at:%Y-%m-%d %H:%M:%S}", e.get_kind_display(), e.actor, e.message]
            for e in events
        ]
        link = reverse("admin:bearman_event_changelist") + f"?node__id__exact={node.pk}"
        return format_html(
            '{}<a href="{}">All events of this node</a>',
            html_table(["When", "What", "Who", "Message"], rows, empty=""),
            link,
        )


def bmc_password_of(cleaned: dict) -> str | None:
    """The password the form asks for: a new one, "" to clear it, None to keep it."""
    if cleaned.get("new_bmc_password"):
        return cleaned["new_bmc_password"]
    return "" if cleaned.get("clear_bmc_password") else None
