from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from bearman import facts
from bearman.models import Baremetal, Node
from bearman.services import node_create, node_delete, node_update
from bearman.services.nodes import NODE_SETTINGS
from bearman.validators import mac_search_term

from .baremetal import status_since
from .bmc_health import NodeBmcBreakerMixin
from .cabling import NodeCablingMixin
from .conformance import ConformanceFilter, NodeConformanceMixin, recheck_conformance
from .deploy import deploy_default_profile
from .display import (
    POWER_TONES,
    ConsoleStyle,
    clipped,
    html_table,
    link_to,
    moment_and_ago,
    short_uuid,
    status_badge,
)
from .forms import NodeAdminForm
from .node_trust import accept_discovered, arm_reregistration
from .power import NodePowerMixin
from .timeline import NodeTimelineMixin

RECENT_EVENTS = 50


@admin.register(Node)
class NodeAdmin(
    ConsoleStyle,
    NodePowerMixin,
    NodeCablingMixin,
    NodeConformanceMixin,
    NodeTimelineMixin,
    NodeBmcBreakerMixin,
    admin.ModelAdmin,
):
    form = NodeAdminForm
    actions = [
        *NodePowerMixin.actions,
        deploy_default_profile,
        accept_discovered,
        arm_reregistration,
        recheck_conformance,
    ]
    list_display = (
        "system_uuid",
        "serial",
        "vendor_name",
        "model_name",
        "flavor_name",
        "zone",
        "bmc_address",
        "status_badge",
        "power_badge",
        "baremetal_status",
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
    search_fields = (
        "uuid",
        "serial",
        "rack_position",
        "bmc_address",
        "baremetal__hostname",
        "mac_addresses",
    )
    search_help_text = "UUID, serial, rack position, IPMI IP, hostname or MAC"
    list_per_page = 100
    readonly_fields = (
        "current_baremetal",
        "bmc_password_state",
        "power_badge",
        "power_seen",
        "bmc_breaker",
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
        "cabling_plan",
        "conformance",
    )
    fieldsets = (
        (None, {"fields": ("uuid", "serial", "vendor", "product_name", "status")}),
        ("Baremetal", {"fields": ("current_baremetal",)}),
        ("Placement", {"fields": ("flavor", "availability_zone", "rack_position", "cabling_plan")}),
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
                    "power_badge",
                    "power_seen",
                    "bmc_breaker",
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

    @admin.display(description="System UUID", ordering="uuid")
    def system_uuid(self, node):
        return short_uuid(node.uuid)

    @admin.display(description="Vendor", ordering="vendor")
    def vendor_name(self, node):
        return clipped(node.vendor)

    @admin.display(description="Product name", ordering="product_name")
    def model_name(self, node):
        return clipped(node.product_name)

    @admin.display(description="Flavor", ordering="flavor__name")
    def flavor_name(self, node):
        return clipped(node.flavor.name if node.flavor else "")

    @admin.display(description="Availability zone", ordering="availability_zone")
    def zone(self, node):
        return clipped(node.availability_zone)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, node):
        return status_badge(node)

    @admin.display(description="Power state", ordering="power_state")
    def power_badge(self, node):
        return status_badge(node, "power_state", POWER_TONES)

    @admin.display(description="Power state seen")
    def power_seen(self, node):
        return moment_and_ago(node.power_state_at)

    @admin.display(description="Baremetal", ordering="baremetal__status")
    def baremetal_status(self, node):
        baremetal = getattr(node, "baremetal", None)
        if baremetal is None:
            return "—"
        return format_html(
            '<a href="{}" title="{}">{}</a>',
            reverse("admin:bearman_baremetal_change", args=[baremetal.pk]),
            baremetal.hostname,
            status_badge(baremetal),
        )

    @admin.display(description="Current Baremetal")
    def current_baremetal(self, node):
        if not node.pk:
            return "—"
        baremetal = Baremetal.objects.select_related("profile").filter(node=node).first()
        if baremetal is None:
            return format_html(
                "Not deployed. Deploy it with the node list's action \"Deploy the flavor's "
                'default profile and power on", or <a href="{}?node={}">add a Baremetal</a>.',
                reverse("admin:bearman_baremetal_add"),
                node.pk,
            )
        return baremetal_summary(baremetal)

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


def baremetal_summary(baremetal: Baremetal):
    """Where the node's Baremetal stands: its page, profile, status, since when and why
    it failed."""
    rows = [
        ("Hostname", link_to(baremetal, baremetal.hostname)),
        ("Profile", link_to(baremetal.profile, baremetal.profile.name)),
        ("Status", status_badge(baremetal)),
        ("Since", moment_and_ago(status_since(baremetal))),
    ]
    if baremetal.last_error:
        rows.append(
            (
                "Failure reason",
                format_html('<span class="failure-reason">{}</span>', baremetal.last_error),
            )
        )
    items = format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)
    return format_html('<dl class="baremetal">{}</dl>', items)
