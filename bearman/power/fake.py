"""A BMC that only pretends: for development and demos, no network involved.

The driver keeps no state itself: it reads and writes a `FakeMachineStore` handed to it,
so it stays free of Django. The service layer hands it one backed by the database
(`bearman.services.power.drivers.DatabaseFakeStore`); tests may use `MemoryFakeStore`.
"""

from dataclasses import dataclass, replace
from typing import Protocol

from .base import BmcTarget, BootDevice, MachinePower, PowerDriver, PowerRequest


@dataclass(frozen=True)
class FakeMachine:
    """What a fake BMC remembers about its machine."""

    power: MachinePower = MachinePower.OFF
    boot_device: BootDevice | None = None


class FakeMachineStore(Protocol):
    """Where fake machines live between calls."""

    def load(self, target: BmcTarget) -> FakeMachine:
        """The machine behind `target` (a new, powered-off one if unknown)."""

    def save(self, target: BmcTarget, machine: FakeMachine) -> None:
        """Remember `machine` as the one behind `target`."""


class MemoryFakeStore:
    """Fake machines in a dict, keyed by BMC address and port."""

    def __init__(self):
        self.machines: dict[str, FakeMachine] = {}

    def load(self, target: BmcTarget) -> FakeMachine:
        """The machine behind `target` (a new, powered-off one if unknown)."""
        return self.machines.get(target.where, FakeMachine())

    def save(self, target: BmcTarget, machine: FakeMachine) -> None:
        """Remember `machine` as the one behind `target`."""
        self.machines[target.where] = machine


class FakePowerDriver(PowerDriver):
    """Obeys at once and never fails."""

    # Its machines live in the database: a thread would need a connection of its own.
    threads_ok = False

    def __init__(self, store: FakeMachineStore):
        self.store = store

    def get_power_state(self, target: BmcTarget) -> MachinePower:
        """The stored machine's power."""
        return self.store.load(target).power

    def set_power_state(self, target: BmcTarget, state: PowerRequest) -> MachinePower:
        """Store the new power state; powering on boots the machine."""
        machine = self.store.load(target)
        if state == PowerRequest.ON:
            return self._boot(target) if machine.power == MachinePower.OFF else machine.power
        self.store.save(target, replace(machine, power=MachinePower.OFF))
        return MachinePower.OFF

    def reset(self, target: BmcTarget) -> MachinePower:
        """The machine boots again (or for the first time)."""
        return self._boot(target)

    def cycle(self, target: BmcTarget) -> MachinePower:
        """The machine boots again (or for the first time)."""
        return self._boot(target)

    def set_boot_device(self, target: BmcTarget, device: BootDevice) -> None:
        """Store the next boot device."""
        self.store.save(target, replace(self.store.load(target), boot_device=device))

    def _boot(self, target: BmcTarget) -> MachinePower:
        # A boot uses up the one-time boot device.
        self.store.save(target, FakeMachine(power=MachinePower.ON, boot_device=None))
        return MachinePower.ON
