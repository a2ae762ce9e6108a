import pytest

from bearman.ipxe.situations import BootSituation, boot_situation


@pytest.mark.parametrize(
    ("node", "deploy", "direct", "idle", "expected"),
    [
        (None, None, False, "local", BootSituation.REGISTER),
        ("error", None, False, "local", BootSituation.REGISTER),
        ("registered", None, False, "local", BootSituation.LOCAL),
        ("ready", None, False, "poweroff", BootSituation.POWEROFF),
        ("ready", "deploy_start", False, "local", BootSituation.DEPLOY),
        ("registered", "deploy_start", True, "local", BootSituation.DIRECT),
        ("ready", "deploying", False, "local", BootSituation.LOCAL),
        ("ready", "installed", False, "local", BootSituation.LOCAL),
        ("ready", "unrecoverable_error", False, "poweroff", BootSituation.POWEROFF),
        ("maintenance", "deploy_start", False, "local", BootSituation.LOCAL),
        ("retired", "deploy_start", False, "local", BootSituation.LOCAL),
    ],
)
def test_each_state_boots_what_the_design_says(node, deploy, direct, idle, expected):
    situation = boot_situation(
        node_status=node, deploy_status=deploy, direct_boot=direct, idle_action=idle
    )
    assert situation == expected
    assert situation.template == f"{expected.value}.ipxe"
