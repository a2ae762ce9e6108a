"""Which script a node gets: a pure decision from its state."""

import enum

from bearman.states import DeployStatus, NodeStatus


class BootSituation(enum.StrEnum):
    REGISTER = "register"  # unknown, failed, waiting or armed node: first stage, register
    DEPLOY = "deploy"  # Baremetal waiting: first stage, deploy (kexec profiles)
    DIRECT = "direct"  # Baremetal waiting: the profile's own kernel (direct-boot profiles)
    LOCAL = "local"  # nothing to do: boot the local disk
    POWEROFF = "poweroff"  # nothing to do: power off

    @property
    def template(self) -> str:
        return f"{self.value}.ipxe"


def boot_situation(
    *,
    node_status: str | None,
    deploy_status: str | None,
    direct_boot: bool,
    idle_action: str,
    register_again: bool = False,
) -> BootSituation:
    """What a node in this state boots; `node_status` None means Bearman does not know it.

    `register_again`: an operator armed its re-registration (or accepted it, in approval
    mode) and that has not expired; a pending Baremetal still comes first.
    """
    if node_status is None or node_status in {NodeStatus.ERROR, NodeStatus.DISCOVERED}:
        return BootSituation.REGISTER
    waiting = deploy_status == DeployStatus.DEPLOY_START
    in_service = node_status in {NodeStatus.REGISTERED, NodeStatus.READY}
    if waiting and in_service:
        return BootSituation.DIRECT if direct_boot else BootSituation.DEPLOY
    if register_again:
        return BootSituation.REGISTER
    return BootSituation(idle_action)
