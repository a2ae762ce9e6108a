"""The VM lab against a real Bearman: QEMU machines from power-on to READY and from the
deploy to INSTALLED, step by step, with Bearman's CPU per node beside the machines'.

Run: sudo .venv/bin/python bench/vm_lab.py (root: the BMCs answer on UDP port 623; needs
`make vm-deps first-stage-image`). For 1 and then 4 VMs (`--sizes`) on fresh Bearman
processes (web, gRPC, worker; SQLite, or a scratch PostgreSQL database with DATABASE_URL)
it prints, per VM, the seconds from power-on to each step of the registration and from the
deploy request to each step of the deployment, and the ratio of the 4-VM medians to the
1-VM ones (how much the machines slow each other down on this host).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from support import free_port, on_postgres, scratch_postgres, tree_cpu_seconds, wait_for  # noqa: E402

BIN = Path(sys.executable).parent
GUEST_URL = "http://10.0.2.100:8000"
# Steps in the order a machine takes them; where each one's time comes from.
REGISTRATION = ["ipxe_script", "linux", "agent", "register", "bmc_answer"]
DEPLOYMENT = ["power_on", "ipxe_script", "agent", "get_profile", "installed", "second_stage"]
TIMEOUT = 1200


def services(env: dict, web: int, grpc: int) -> list[subprocess.Popen]:
    """Bearman's web, gRPC and worker processes, as `make run` starts them."""
    commands = [
        [str(BIN / "gunicorn"), "bearman.wsgi", "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{web}", "--workers", "2"],
        [sys.executable, "manage.py", "run_grpc", "--bind", f"127.0.0.1:{grpc}"],
        [str(BIN / "celery"), "-A", "bearman", "worker", "--concurrency", "4",
         "--loglevel", "WARNING"],
    ]  # fmt: skip
    log = open(Path(env["BEARMAN_VAR_DIR"]) / "services.log", "w")  # noqa: SIM115
    return [subprocess.Popen(c, cwd=ROOT, env=env, stdout=log, stderr=log) for c in commands]


def one_size(count: int, web: int, grpc: int, first_stage: Path) -> dict:
    """Run `count` VMs through registration and deployment (Django set up on this env)."""
    import django

    django.setup()
    from bearman.models import Event
    from bearman.services.deploy_bulk import nodes_deploy_default
    from bearman.settings.environment import var_dir
    from bearman.states import DeployStatus, NodeStatus
    from lab.follow import lab_vm_nodes, vm_lab_progress
    from lab.qemu import Forwards, choose_accel
    from lab.setup import vm_lab_prepare
    from lab.vms import VmLab

    flavor = vm_lab_prepare(first_stage_dir=first_stage)
    lab = VmLab(
        root=var_dir() / "vms",
        count=count,
        forwards=Forwards(http_port=web, grpc_port=grpc),
        accel=choose_accel(first_stage / "vmlinuz", cache=first_stage.parent / "vm-lab-accel"),
    )

    def wait(done, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not done():
            if time.monotonic() > deadline:
                raise SystemExit(f"{count} VMs: not {what} within {TIMEOUT} s")
            time.sleep(0.5)

    def events(contains: str, kind: str) -> dict[str, float]:
        rows = Event.objects.filter(
            node__uuid__in=[vm.spec.uuid for vm in lab.vms], kind=kind, message__contains=contains
        ).values_list("node__uuid", "created_at")
        return {uuid: at.timestamp() for uuid, at in rows}

    lab.start()
    machines = [vm.bmc.pid for vm in lab.vms]
    try:
        lab.power_on()
        started = {vm.name: vm.seen["power_on"] for vm in lab.vms}
        wait(lambda: all(n == NodeStatus.READY for n, _ in vm_lab_progress(lab).values()), "READY")
        wait(lambda: not any(lab.is_running(vm) for vm in lab.vms), "off")
        registration = {vm.name: dict(vm.seen) for vm in lab.vms}
        registered = events("Registered from", "registered")
        answered = events("answered: ready", "node_status")
        for vm in lab.vms:
            vm.seen.clear()
        lab_vm_nodes(lab).update(flavor=flavor)
        asked = time.time()
        nodes_deploy_default(nodes=lab_vm_nodes(lab), actor="bench")
        wait(
            lambda: all(d == DeployStatus.INSTALLED for _, d in vm_lab_progress(lab).values()),
            "INSTALLED",
        )
        wait(lambda: all("second_stage" in vm.seen for vm in lab.vms), "in the second stage")
        deployment = {vm.name: dict(vm.seen) for vm in lab.vms}
        powered = events("Power on succeeded", "power")
        deploying = events("→ Deploying", "deployment")
        installed = events("→ Installed", "deployment")
        cpu_machines = sum(tree_cpu_seconds(pid) for pid in machines)
    finally:
        lab.stop()
    result = {"accel": lab.accel, "machines_cpu": cpu_machines, "vms": {}}
    for vm in lab.vms:
        uuid, seen = vm.spec.uuid, registration[vm.name]
        steps = {
            "ipxe_script": seen.get("ipxe_script"),
            "linux": seen.get("linux"),
            "agent": seen.get("agent"),
            "register": registered.get(uuid),
            "bmc_answer": answered.get(uuid),
        }
        result_steps = {k: v - started[vm.name] for k, v in steps.items() if v}
        seen = deployment[vm.name]
        steps = {
            "power_on": powered.get(uuid),
            "ipxe_script": seen.get("ipxe_script"),
            "agent": seen.get("agent"),
            "get_profile": deploying.get(uuid),
            "installed": installed.get(uuid),
            "second_stage": seen.get("second_stage"),
        }
        result["vms"][vm.name] = {
            "registration": result_steps,
            "deployment": {k: v - asked for k, v in steps.items() if v},
        }
    return result


def run_size(count: int, first_stage: Path) -> dict:
    """One size on fresh Bearman processes and a fresh database; its steps and CPU."""
    web, grpc = free_port(), free_port()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bearman-vm-lab-") as var:
        env = {
            **os.environ,
            "BEARMAN_VAR_DIR": var,
            "ALLOWED_HOSTS": "127.0.0.1,10.0.2.100",
            "BEARMAN_PUBLIC_URL": GUEST_URL,
            "BEARMAN_BMC_CHECK_DELAY_SECONDS": "5",
            "BEARMAN_LOG_LEVEL": "WARNING",
        }
        if on_postgres():
            env["DATABASE_URL"] = stack.enter_context(scratch_postgres("bearman_bench_vm_lab"))
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        running = services(env, web, grpc)
        try:
            wait_for(f"http://127.0.0.1:{web}/healthz")
            time.sleep(2)  # the worker and gRPC processes finish starting
            before = [tree_cpu_seconds(service.pid) for service in running]
            output = subprocess.run(
                [sys.executable, __file__, "--one", str(count), str(web), str(grpc),
                 str(first_stage)],
                cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=2 * TIMEOUT,
            ).stdout  # fmt: skip
            after = [tree_cpu_seconds(service.pid) for service in running]
        finally:
            for service in running:
                service.terminate()
            for service in running:
                service.wait(timeout=30)
    result = json.loads(output.splitlines()[-1])
    result["bearman_cpu"] = dict(
        zip(
            ("web", "gRPC", "worker"),
            (a - b for a, b in zip(after, before, strict=True)),
            strict=True,
        )
    )
    return result


def report(count: int, result: dict) -> dict[str, float]:
    """Print one size's steps; return the median of each step over its VMs."""
    print(f"\n{count} VM(s), {result['accel']}: seconds from power-on / from the deploy request")
    medians = {}
    for phase, steps in (("registration", REGISTRATION), ("deployment", DEPLOYMENT)):
        for step in steps:
            values = [vm[phase][step] for vm in result["vms"].values() if step in vm[phase]]
            if values:
                medians[f"{phase}.{step}"] = median(values)
            shown = " ".join(f"{value:6.1f}" for value in values)
            print(f"  {phase:12s} {step:12s} {shown}")
    bearman = sum(result["bearman_cpu"].values())
    parts = ", ".join(f"{part} {seconds:.1f}" for part, seconds in result["bearman_cpu"].items())
    print(
        f"  CPU: Bearman {bearman:.1f} s ({parts}) = {bearman / count:.1f} s a node; "
        f"the machines (QEMU, ipmi_sim) {result['machines_cpu']:.1f} s = "
        f"{result['machines_cpu'] / count:.1f} s a node"
    )
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bearman.settings")
        count, web, grpc, first_stage = arguments.one
        print(json.dumps(one_size(int(count), int(web), int(grpc), Path(first_stage))))
        return
    # Where `make first-stage-image` put it, before each run points BEARMAN_VAR_DIR elsewhere.
    first_stage = Path(os.environ.get("BEARMAN_VAR_DIR") or ROOT / "var") / "first-stage"
    medians = {count: report(count, run_size(count, first_stage)) for count in arguments.sizes}
    first, last = arguments.sizes[0], arguments.sizes[-1]
    for key in ("registration.bmc_answer", "deployment.installed"):
        if key in medians[first] and key in medians[last]:
            ratio = medians[last][key] / medians[first][key]
            print(f"{key}: {last} VMs / {first} VM (medians) = {ratio:.2f}")


if __name__ == "__main__":
    main()
