"""Following the VM lab from Bearman's side: what each machine's node and deployment are
doing, the flavor an operator would give new nodes, and the deploy once all are READY."""

import time

from bearman.models import Baremetal, Flavor, Node
from bearman.services.deploy_bulk import nodes_deploy_default
from bearman.states import DeployStatus, NodeStatus

from .vms import VmLab

LOOK_SECONDS = 0.5
PRINT_SECONDS = 5.0


def lab_vm_nodes(lab: VmLab):
    return Node.objects.filter(uuid__in=[vm.spec.uuid for vm in lab.vms])


def vm_lab_progress(lab: VmLab) -> dict[str, tuple[str, str]]:
    """VM name → (node status, deployment status), "-" where there is none yet."""
    nodes = dict(lab_vm_nodes(lab).values_list("uuid", "status"))
    deployments = dict(
        Baremetal.objects.filter(node__uuid__in=nodes).values_list("node__uuid", "status")
    )
    return {
        vm.name: (nodes.get(vm.spec.uuid, "-"), deployments.get(vm.spec.uuid, "-"))
        for vm in lab.vms
    }


def vm_lab_follow(lab: VmLab, *, flavor: Flavor, deploy: bool, exit_when_done: bool, out):
    """Print progress until stopped (or done, with exit_when_done); deploy all once READY."""
    started = printed = time.monotonic()
    deployed = False
    while True:
        time.sleep(LOOK_SECONDS)
        lab_vm_nodes(lab).filter(flavor=None).update(flavor=flavor)  # as an operator would
        progress = vm_lab_progress(lab)
        ready = all(node == NodeStatus.READY for node, _ in progress.values())
        installed = all(deployment == DeployStatus.INSTALLED for _, deployment in progress.values())
        # As an operator would: once the machines have powered themselves off (READY comes
        # when the BMC answers, which can be before the agent has shut the machine down).
        off = not any(lab.is_running(vm) for vm in lab.vms)
        if deploy and ready and off and not deployed:
            report = nodes_deploy_default(nodes=lab_vm_nodes(lab), actor="lab")
            out.write(f"all READY and off; deploying {len(report.deployed)} machines")
            deployed = True
        if time.monotonic() - printed >= PRINT_SECONDS:
            printed = time.monotonic()
            states = ", ".join(
                f"{name} {node}/{deployment} [{_last_seen(lab, name)}]"
                for name, (node, deployment) in progress.items()
            )
            out.write(f"[{time.monotonic() - started:6.1f} s] {states}")
            out.flush()
        if exit_when_done and (installed if deploy else ready):
            return


def _last_seen(lab: VmLab, name: str) -> str:
    vm = next(vm for vm in lab.vms if vm.name == name)
    return max(vm.seen, key=vm.seen.get) if vm.seen else "off"
