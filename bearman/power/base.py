"""The power-driver interface: plain data in, plain data out, our exceptions on failure.

Drivers never import Django: the service layer turns a Node into a `BmcTarget` and
persists what the driver reports. Vendor vocabularies (IPMI completion codes, Redfish
PowerState strings) are translated at each driver's edge with explicit maps.
"""

import abc
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bearman.errors import BearmanError


class MachinePower(enum.StrEnum):
    """What a BMC says about the machine behind it."""

    ON = "on"  # the host is powered
    OFF = "off"  # the host is off (the BMC itself is up)


class PowerRequest(enum.StrEnum):
    """A power state a driver is asked to reach."""

    ON = "on"  # power on
    OFF = "off"  # hard power off, like holding the button
    SOFT_OFF = "soft_off"  # ACPI shutdown: the OS powers the machine off


class BootDevice(enum.StrEnum):
    """Where the machine boots from next time."""

    NETWORK = "network"  # PXE / iPXE
    DISK = "disk"  # the first disk


@dataclass(frozen=True)
class BmcTarget:
    """How to reach one BMC: never a Django model, so drivers stay pure."""

    address: str
    port: int
    username: str
    password: str = field(repr=False)
    options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def where(self) -> str:
        """The BMC as people write it in messages: address:port."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    def option(self, name: str, default: Any) -> Any:
        """An option of this target, or `default` when it is not set."""
        value = self.options.get(name)
        return default if value is None else value


class BmcError(BearmanError):
    """A BMC could not do what we asked; the message says why in plain words."""

    transient = False  # worth trying again later
    # Whether nobody knows the machine's power state after this error: the BMC never
    # answered or went silent, so what it did (or is doing) cannot be told.
    power_unknown = False

    def __init__(self, message: str, *, power: MachinePower | None = None):
        super().__init__(message)
        self.power = power  # the machine's power state as last read, when it was


class BmcUnreachable(BmcError):
    """Nothing answered at the BMC's address (down, wrong address, firewall)."""

    transient = True
    power_unknown = True


class BmcTimeout(BmcError):
    """The BMC logged us in, then stopped answering; or the machine never reached the state
    (then `power` is what the BMC last reported)."""

    transient = True
    power_unknown = True


class BmcAuthenticationFailed(BmcError):
    """The BMC refused the user name or password (or its certificate is not trusted)."""


class BmcUnsupported(BmcError):
    """The BMC does not offer what we asked for, or refused it in its present state."""


class PowerDriver(abc.ABC):
    """One BMC protocol. Each call opens what it needs and closes it again."""

    # Calls to different BMCs may run in threads side by side (the power sync does).
    threads_ok = True

    @abc.abstractmethod
    def get_power_state(self, target: BmcTarget) -> MachinePower:
        """The machine's power state as the BMC reports it."""

    @abc.abstractmethod
    def set_power_state(self, target: BmcTarget, state: PowerRequest) -> MachinePower:
        """Ask for `state`, wait until the machine is there, return what it reports."""

    @abc.abstractmethod
    def reset(self, target: BmcTarget) -> MachinePower:
        """Hard reset (the reset button); an off machine is powered on instead."""

    @abc.abstractmethod
    def cycle(self, target: BmcTarget) -> MachinePower:
        """Power off then on again; an off machine is powered on instead."""

    @abc.abstractmethod
    def set_boot_device(self, target: BmcTarget, device: BootDevice) -> None:
        """Boot from `device` on the next boot only."""


def wait_for_power(
    target: BmcTarget,
    read: Callable[[], MachinePower],
    want: MachinePower,
    *,
    seconds: float,
    interval: float = 1.0,
) -> MachinePower:
    """Poll `read` until it reports `want`; BmcTimeout after `seconds`."""
    deadline = time.monotonic() + seconds
    while (state := read()) != want:
        if time.monotonic() >= deadline:
            raise BmcTimeout(
                f"the machine behind BMC {target.where} is still {state}, "
                f"{seconds:g} s after it was asked to be {want}",
                power=state,
            )
        time.sleep(interval)
    return state
