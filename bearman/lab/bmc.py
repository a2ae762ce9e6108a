"""A lab machine's BMC: real IPMI v2.0 on the address the agent gave it."""

import threading
import uuid

from pyghmi.ipmi.private import session as ipmisession

from bearman.lab.machine import LabMachine
from bearman.power.virtual_bmc import IPMI_NOT_IN_PRESENT_STATE, VirtualBmc


class LabBmc(VirtualBmc):
    """Power follows the machine's `power` file; powering on boots the machine."""

    def __init__(
        self, *, machine: LabMachine, address: str, port: int, username: str, password: str, on_boot
    ):
        super().__init__(address=address, port=port, username=username, password=password)
        self.machine, self.on_boot = machine, on_boot
        self.uuid = uuid.UUID(machine.uuid)

    def get_power_state(self):
        return "off" if self.machine.get("power") == "off" else "on"

    def power_on(self):
        if self.get_power_state() == "off":
            self.on_boot(self.machine)

    def power_off(self):
        self.machine.set("power", "off")

    def power_shutdown(self):
        self.machine.set("power", "off")

    def power_reset(self):
        if self.get_power_state() == "off":
            return IPMI_NOT_IN_PRESENT_STATE
        self.on_boot(self.machine)
        return 0

    power_cycle = power_reset


_listening = threading.Lock()
_listener: list[threading.Thread] = []


def listen_in_background() -> None:
    """Serve every LabBmc of this process from one thread (pyghmi's I/O loop is shared)."""
    with _listening:
        if _listener:
            return
        # A short wait: BMCs created later join the loop on its next turn.
        thread = threading.Thread(
            target=lambda: [ipmisession.Session.wait_for_rsp(0.2) for _ in iter(int, 1)],
            name="lab-bmcs",
            daemon=True,
        )
        thread.start()
        _listener.append(thread)
