"""The node list's say over registration: accept discovered nodes, arm re-registration."""

from django.contrib import admin, messages

from bearman.errors import BearmanError
from bearman.services.admission import node_accept, node_rearm


def _each(request, queryset, service, done: str) -> None:
    """Run `service` on each node; one refused node is a warning, the rest still go."""
    count = 0
    for node in queryset:
        try:
            service(node=node, actor=request.user.get_username())
        except BearmanError as error:
            messages.warning(request, f"{node.uuid}: {error}")
        else:
            count += 1
    if count:
        messages.success(request, f"{count} node(s) {done}.")


@admin.action(description="Accept discovered nodes (they may register)", permissions=["change"])
def accept_discovered(modeladmin, request, queryset):
    _each(request, queryset, node_accept, "accepted; they register when they boot next")


# Letting a machine register again hands it the node's BMC credentials: power permission.
# Django offers an action to anyone holding ANY of its permissions, so `change` is checked
# here rather than listed.
@admin.action(
    description="Arm re-registration (once, for a limited time)", permissions=["operate_power"]
)
def arm_reregistration(modeladmin, request, queryset):
    if not modeladmin.has_change_permission(request):
        messages.error(request, "Arming re-registration needs the permission to change nodes.")
        return
    _each(request, queryset, node_rearm, "armed: the next registration of each is let through")
