"""Power in the admin: the operations list, and the node list's and node page's actions.

Every button only records and queues an operation (power_action_request); the node
list's actions go through the bulk guard rails (power_bulk_request). The worker talks to
the BMC, never the web request.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from bearman.errors import PowerNotConfigured, PowerOperationInFlight
from bearman.models import Node, PowerAction, PowerOperation
from bearman.services.power.bulk import power_bulk_request
from bearman.services.power.request import power_action_request
from bearman.services.zones import power_operations_waiting

from .display import (
    OPERATION_TONES,
    ConsoleStyle,
    ago,
    clipped,
    html_table,
    node_link,
    status_badge,
)
from .read_only import ReadOnlyAdmin
from .zones import ZonesPageMixin

RECENT_OPERATIONS = 10
PERMISSION = "bearman.operate_power"
# The node page's buttons, grouped as an operator thinks of them; power is all the rest.
BOOT_DEVICE = (PowerAction.BOOT_NETWORK, PowerAction.BOOT_DISK)
REFRESH = (PowerAction.STATUS,)
POWER_GROUPS = (
    ("Power", [a for a in PowerAction if a not in BOOT_DEVICE + REFRESH]),
    ("Boot device", BOOT_DEVICE),
    ("Refresh", REFRESH),
)


@admin.register(PowerOperation)
class PowerOperationAdmin(ZonesPageMixin, ConsoleStyle, ReadOnlyAdmin):
    """Read-only: operations are created by requests and finished by workers."""

    list_display = (
        "id",
        "node_uuid",
        "action",
        "operation_state",
        "requested_by",
        "queued",
        "finished",
        "outcome",
    )
    list_select_related = ("node",)
    list_filter = ("state", "action", "queued_at")
    search_fields = ("node__uuid", "node__bmc_address", "requested_by", "error")
    date_hierarchy = "queued_at"
    list_per_page = 100

    @admin.display(description="Node", ordering="node__uuid")
    def node_uuid(self, operation):
        return node_link(operation.node)

    @admin.display(description="State", ordering="state")
    def operation_state(self, operation):
        return status_badge(operation, "state", OPERATION_TONES)

    @admin.display(description="Queued", ordering="queued_at")
    def queued(self, operation):
        return ago(operation.queued_at)

    @admin.display(description="Finished", ordering="finished_at")
    def finished(self, operation):
        return ago(operation.finished_at)

    @admin.display(description="Outcome")
    def outcome(self, operation):
        waiting = power_operations_waiting([operation]).get(operation.pk)  # cached: cheap
        return clipped(waiting or operation.result or operation.error, "clip-wide")


def operations_link(ids: list[int]) -> str:
    """The operations list narrowed to `ids`, to watch a request's progress."""
    return (
        reverse("admin:bearman_poweroperation_changelist")
        + "?id__in="
        + ",".join(str(i) for i in ids)
    )


def request_power(request, nodes, action: PowerAction) -> None:
    """Queue `action` for each node and tell the operator what was queued and refused."""
    actor = request.user.get_username()
    queued, refused = [], []
    for node in nodes:
        try:
            queued.append(power_action_request(node=node, action=action, actor=actor).pk)
        except (PowerOperationInFlight, PowerNotConfigured) as error:
            refused.append(str(error))
    _report(request, action, queued, refused)


def request_power_bulk(request, nodes, action: PowerAction) -> None:
    """The node list's actions: in batches that stop once too many fail, as the API's."""
    bulk = power_bulk_request(nodes=list(nodes), action=action, actor=request.user.get_username())
    later = len(bulk.node_ids) - bulk.queued_count
    if not later:
        _report(request, action, bulk.operation_ids, [r["error"] for r in bulk.refused])
        return
    messages.success(
        request,
        format_html(
            "{}: {} operations queued; the other {} follow in batches of {} unless more than "
            '{}% fail. <a href="{}">Watch them</a>.',
            action.label,
            len(bulk.operation_ids),
            later,
            bulk.batch_size,
            bulk.max_failure_percent,
            reverse("admin:bearman_powerbulk_change", args=[bulk.pk]),
        ),
    )
    for refusal in bulk.refused:
        messages.error(request, f"{action.label} refused: {refusal['error']}")


def _report(request, action: PowerAction, queued: list[int], refused: list[str]) -> None:
    if queued:
        messages.success(
            request,
            format_html(
                '{}: {} operation{} queued. <a href="{}">Watch them</a>.',
                action.label,
                len(queued),
                "" if len(queued) == 1 else "s",
                operations_link(queued),
            ),
        )
    for reason in refused:
        messages.error(request, f"{action.label} refused: {reason}")


def _bulk_action(action: PowerAction):
    def run(modeladmin, request, queryset):
        request_power_bulk(request, queryset, action)

    run.__name__ = f"power_{action.value}"
    return admin.action(description=action.label, permissions=["operate_power"])(run)


class NodePowerMixin:
    """Mixed into NodeAdmin: bulk actions, the node page's buttons, recent operations."""

    change_form_template = "admin/bearman/node/change_form.html"
    actions = [_bulk_action(action) for action in PowerAction]

    def has_operate_power_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def get_urls(self):
        view = self.admin_site.admin_view(self.power_view)
        return [path("<int:node_id>/power/", view, name="bearman_node_power"), *super().get_urls()]

    def power_view(self, request, node_id: int):
        """The node page's buttons post here."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_operate_power_permission(request):
            raise PermissionDenied
        node = get_object_or_404(Node, pk=node_id)
        action = request.POST.get("action", "")
        if action not in PowerAction.values:
            messages.error(request, f"Unknown power action {action!r}.")
        else:
            request_power(request, [node], PowerAction(action))
        return HttpResponseRedirect(reverse("admin:bearman_node_change", args=[node_id]))

    def render_change_form(self, request, context, *args, **kwargs):
        context["power_groups"] = [
            (group, [(action.value, action.label) for action in actions])
            for group, actions in POWER_GROUPS
        ]
        context["can_operate_power"] = self.has_operate_power_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description="Power operations (newest first)")
    def recent_power_operations(self, node):
        if not node.pk:
            return "—"
        operations = list(node.power_operations.all()[:RECENT_OPERATIONS])
        waiting = power_operations_waiting(operations)  # of a zone no running worker serves
        rows = [
            [
                f"{op.queued_at:%Y-%m-%d %H:%M:%S}",
                op.get_action_display(),
                op.get_state_display(),
                op.requested_by,
                waiting.get(op.pk) or op.result or op.error,
            ]
            for op in operations
        ]
        link = reverse("admin:bearman_poweroperation_changelist") + f"?node__id__exact={node.pk}"
        return format_html(
            '{}<a href="{}">All power operations of this node</a>',
            html_table(["Queued", "Action", "State", "Who", "Outcome"], rows, empty=""),
            link,
        )
