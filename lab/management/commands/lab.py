import logging
import os
import resource
import signal
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bearman.heap import heap_freeze_startup
from bearman.models import Baremetal
from bearman.services.deploy_bulk import nodes_deploy_default
from bearman.settings.environment import var_dir
from bearman.states import DeployStatus, NodeStatus
from lab.follow import lab_vm_nodes, vm_lab_follow
from lab.process.lab import Lab
from lab.process.setup import lab_assign_flavor, lab_forget_nodes, lab_nodes, lab_prepare
from lab.qemu import Forwards, choose_accel
from lab.setup import vm_lab_prepare
from lab.vms import VmLab

POLL_SECONDS = 0.1  # how often the milestones are looked for
PRINT_SECONDS = 1.0  # how often progress is printed and new nodes get the lab's flavor


class Command(BaseCommand):
    help = (
        "Start a lab. --vms N: N QEMU virtual machines that boot the real iPXE ROM and the "
        "first-stage image (make first-stage), each with an ipmi_sim BMC. --nodes N: N "
        "simulated servers (a virtual BMC plus the real bearman-cli with stand-in tools), "
        "for scale runs. Either way they register, configure their BMC and power off; "
        "deployed from the admin they boot their OS. Needs Bearman's web, gRPC and worker "
        "processes running (make run starts them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--nodes", type=int, default=5)
        parser.add_argument("--vms", type=int, default=0, help="QEMU machines instead of --nodes")
        parser.add_argument(
            "--accel", choices=["auto", "kvm", "tcg"], default="auto", help="(--vms) QEMU's"
        )
        parser.add_argument(
            "--web-url", default=settings.BEARMAN_PUBLIC_URL or "http://127.0.0.1:8000"
        )
        parser.add_argument(
            "--root", default="", help="machine state, kept across runs (default: var/process-lab)"
        )
        parser.add_argument("--bmc-port", type=int, default=623)
        parser.add_argument(
            "--deploy",
            action="store_true",
            help="once all are READY, deploy them all as the admin's bulk action does",
        )
        parser.add_argument(
            "--exit-when-done",
            action="store_true",
            help="stop once every node is READY (and INSTALLED with --deploy)",
        )

    def handle(self, *args, vms, accel, **options):
        # honcho (make run) stops its processes with SIGTERM: stop the machines first.
        signal.signal(signal.SIGTERM, _interrupt)
        if vms:
            return self._vm_lab(
                vms, accel, options["root"], options["deploy"], options["exit_when_done"]
            )
        self._process_lab(**options)

    def _process_lab(self, *, nodes, web_url, root, bmc_port, deploy, exit_when_done, **_):
        if nodes < 1:
            raise CommandError("--nodes must be at least 1")
        logging.getLogger("lab.process").setLevel(logging.WARNING)
        heap_freeze_startup()
        flavor = lab_prepare()
        # Beside the database that knows the nodes: a second start finds its machines.
        lab = Lab(
            root=Path(root or var_dir() / "process-lab"),
            count=nodes,
            web_url=web_url.rstrip("/"),
            token=settings.BEARMAN_ENROLLMENT_TOKEN,
            bmc_port=bmc_port,
        )
        uuids = [machine.uuid for machine in lab.machines]
        new = [machine.uuid for machine in lab.machines if machine.index in lab.new]
        if forgotten := lab_forget_nodes(uuids=new):
            self.stdout.write(
                f"{forgotten} nodes Bearman knew have no machine state under {lab.root}: "
                "removed, they register afresh"
            )
        stop = threading.Event()
        watcher = threading.Thread(target=lab.run, kwargs={"stop": stop}, daemon=True)
        started, cpu_before = time.monotonic(), _cpu_seconds(resource.RUSAGE_SELF)
        watcher.start()
        lab.press_power_buttons()
        self.stdout.write(
            f"Lab: {nodes} machines under {lab.root}, {len(lab.new)} new; those of an earlier "
            "run keep their state and BMCs"
        )
        try:
            self._follow(lab, flavor, uuids, started, deploy, exit_when_done)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            watcher.join(30)  # it stops the lab's BMC and agent processes
            # The machines' processes count once reaped, which stopping the lab does.
            own = _cpu_seconds(resource.RUSAGE_SELF) - cpu_before
            machines = _cpu_seconds(resource.RUSAGE_CHILDREN)
            self.stdout.write(
                f"CPU: the lab {own:.1f} s, its machines (agents, their tools, BMCs) "
                f"{machines:.1f} s"
            )

    def _vm_lab(self, count, accel, root, deploy, exit_when_done):
        first_stage = var_dir() / "first-stage"
        flavor = vm_lab_prepare(first_stage_dir=first_stage)
        lab = VmLab(
            root=Path(root or var_dir() / "vm-lab"),
            count=count,
            forwards=Forwards(
                http_port=_port(os.environ.get("BEARMAN_WEB_BIND", "127.0.0.1:8000")),
                grpc_port=_port(settings.BEARMAN_GRPC_BIND),
            ),
            accel=choose_accel(first_stage / "vmlinuz", accel, cache=var_dir() / "vm-lab-accel"),
        )
        self.stdout.write(f"VM lab: {count} machines ({lab.accel}) under {lab.root}")
        lab.start()
        try:
            # Machines Bearman already knows stay off (a restart of the same rack): an
            # operator powers them on, or deploys them.
            known = set(lab_vm_nodes(lab).values_list("uuid", flat=True))
            for vm in lab.vms:
                if vm.spec.uuid not in known:
                    lab.power_on(vm)
            vm_lab_follow(
                lab, flavor=flavor, deploy=deploy, exit_when_done=exit_when_done, out=self.stdout
            )
        except KeyboardInterrupt:
            pass
        finally:
            lab.stop()
            self.stdout.write("VM lab stopped; its machines keep their state for the next start")

    def _follow(self, lab, flavor, uuids, started, deploy, exit_when_done):
        ready_at = installed_at = None
        printed = started

        def ready() -> int:
            return lab_nodes(uuids).filter(status=NodeStatus.READY).count()

        def installed() -> int:
            return Baremetal.objects.filter(
                node__uuid__in=uuids, status=DeployStatus.INSTALLED
            ).count()

        while True:
            # A fine step: a milestone's time is when it was reached, not the next print.
            # Each look counts only what the next milestone needs; a print counts both.
            time.sleep(POLL_SECONDS)
            elapsed = time.monotonic() - started
            if ready_at is None and ready() == len(uuids):
                ready_at = elapsed
                self.stdout.write(f"all {len(uuids)} nodes READY after {ready_at:.1f} s")
                if deploy:
                    asked = time.monotonic()
                    lab_assign_flavor(flavor=flavor, uuids=uuids)
                    report = nodes_deploy_default(nodes=lab_nodes(uuids), actor="lab")
                    self.stdout.write(
                        f"deploying {len(report.deployed)} nodes "
                        f"(requested in {time.monotonic() - asked:.1f} s)"
                    )
            elif deploy and ready_at and installed_at is None and installed() == len(uuids):
                installed_at = elapsed
                self.stdout.write(
                    f"all {len(uuids)} deployments INSTALLED after {installed_at:.1f} s"
                )
            if exit_when_done and ready_at and (installed_at or not deploy):
                return
            if time.monotonic() - printed >= PRINT_SECONDS:
                printed = time.monotonic()
                lab_assign_flavor(flavor=flavor, uuids=uuids)
                self.stdout.write(
                    f"[{elapsed:6.1f} s] READY {ready()}/{len(uuids)}, INSTALLED "
                    f"{installed()}/{len(uuids)}, {lab.summary()}"
                )


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _port(bind: str) -> int:
    """The port of a host:port bind address."""
    return int(bind.rsplit(":", 1)[1])
