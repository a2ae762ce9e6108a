"""The node list's bulk deploy: each node's flavor default profile, then power on."""

from django.contrib import admin, messages

from bearman.services.deploy_bulk import nodes_deploy_default


@admin.action(
    description="Deploy the flavor's default profile and power on",
    permissions=["deploy"],  # NodeAdmin.has_deploy_permission: deploying powers nodes on
)
def deploy_default_profile(modeladmin, request, queryset):
    report = nodes_deploy_default(nodes=queryset, actor=request.user.get_username())
    if report.deployed:
        messages.success(
            request,
            f"{len(report.deployed)} Baremetal(s) started and powered on; watch them under "
            "Baremetals.",
        )
    for uuid, why in report.skipped.items():
        messages.warning(request, f"{uuid} not deployed: {why}")
