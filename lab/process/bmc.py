"""The lab's BMCs: real IPMI v2.0 on the addresses the agents gave them, in a process of
their own.

pyghmi keeps its sockets, sessions and I/O thread process-wide, and sessions are filed
by port: BMCs served beside other pyghmi users (a test process, a shell) would share
that state with them. One spawned process serves every BMC of a lab and nothing else.
"""

import logging
import multiprocessing
import signal
import time
import uuid
from pathlib import Path

from pyghmi.ipmi.private import session as ipmisession

from lab.process.machine import LabMachine
from lab.virtual_bmc import IPMI_NOT_IN_PRESENT_STATE, VirtualBmc

log = logging.getLogger("lab.process")

# How often the BMC process looks for newly configured BMCs (also its I/O wait).
LOOK_SECONDS = 0.3


class LabBmc(VirtualBmc):
    """Power follows the machine's `power` file; powering on asks the lab to boot it."""

    def __init__(
        self,
        *,
        machine: LabMachine,
        address: str,
        port: int,
        username: str,
        password: str,
        power_ons,
    ):
        super().__init__(address=address, port=port, username=username, password=password)
        self.machine, self.power_ons = machine, power_ons
        self.uuid = uuid.UUID(machine.uuid)

    def get_power_state(self):
        return "off" if self.machine.get("power") == "off" else "on"

    def _boot(self):
        # On at once, as the BMC reports; the lab process runs the boot itself.
        self.machine.set("power", "on")
        self.power_ons.put(self.machine.index)

    def power_on(self):
        if self.get_power_state() == "off":
            self._boot()

    def power_off(self):
        self.machine.set("power", "off")

    def power_shutdown(self):
        self.machine.set("power", "off")

    def power_reset(self):
        if self.get_power_state() == "off":
            return IPMI_NOT_IN_PRESENT_STATE
        self._boot()
        return 0

    power_cycle = power_reset


def configured_bmc(machine: LabMachine) -> dict | None:
    """Address and first user the agent configured with ipmitool, or None (not yet)."""
    settings = machine.bmc_settings()
    users = [u for u in settings["users"].values() if "name" in u and "password" in u]
    if "address" not in settings or not users:
        return None
    return {
        "address": settings["address"],
        "username": users[0]["name"],
        "password": users[0]["password"],
    }


def serve(root: str, count: int, port: int, power_ons, started) -> None:
    """Bring up each machine's BMC once its agent configured it; serve them all until killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the lab process does the stopping
    waiting = [LabMachine(index, Path(root) / f"machine-{index}") for index in range(1, count + 1)]
    bmcs, next_look = [], 0.0
    while True:
        if time.monotonic() >= next_look:
            next_look = time.monotonic() + LOOK_SECONDS
            bmcs += _bring_up(waiting, port=port, power_ons=power_ons, started=started)
        wait = max(next_look - time.monotonic(), 0)
        if bmcs:
            # Returns after every packet: looking for new BMCs (a file read per waiting
            # machine) each time cost a large lab more than answering its sessions did.
            ipmisession.Session.wait_for_rsp(wait)
        else:
            time.sleep(wait)


def _bring_up(waiting: list[LabMachine], *, port: int, power_ons, started) -> list[LabBmc]:
    """BMCs for the waiting machines whose agent has configured them (taken off `waiting`)."""
    bmcs = []
    for machine in list(waiting):
        if not (config := configured_bmc(machine)):
            continue
        waiting.remove(machine)
        try:
            bmcs.append(LabBmc(machine=machine, port=port, power_ons=power_ons, **config))
        except OSError as error:  # e.g. another lab holds the address: this one stays dark
            log.error(
                "machine %s: no BMC at %s:%s: %s", machine.index, config["address"], port, error
            )
            continue
        with started.get_lock():
            started.value += 1
    return bmcs


class LabBmcs:
    """The process serving a lab's BMCs; `power_ons` carries the machines they power on."""

    def __init__(self, *, root: Path, count: int, port: int):
        context = multiprocessing.get_context("spawn")
        self.power_ons = context.Queue()
        self.started = context.Value("i", 0)
        self.process = context.Process(
            target=serve,
            args=(str(root), count, port, self.power_ons, self.started),
            name="lab-bmcs",
            daemon=True,
        )
        self.process.start()

    @property
    def count(self) -> int:
        return self.started.value

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)
