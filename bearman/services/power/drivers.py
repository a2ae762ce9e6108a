"""From a Node to what a power driver takes: a BmcTarget and the driver for its protocol."""

from types import MappingProxyType

from django.conf import settings

from bearman.crypto import decrypt_secret
from bearman.models import BmcDriver, FakeBmc, Node
from bearman.power import BmcTarget, BootDevice, MachinePower, PowerDriver
from bearman.power.fake import FakeMachine, FakePowerDriver
from bearman.power.ipmi import IpmiPowerDriver
from bearman.power.redfish import RedfishPowerDriver


class DatabaseFakeStore:
    """The fake driver's machines, one FakeBmc row per BMC address and port."""

    def load(self, target: BmcTarget) -> FakeMachine:
        """The machine behind `target` (a new, powered-off one if unknown)."""
        row = FakeBmc.objects.filter(address=target.address, port=target.port).first()
        if row is None:
            return FakeMachine()
        boot_device = BootDevice(row.boot_device) if row.boot_device else None
        return FakeMachine(power=MachinePower(row.power), boot_device=boot_device)

    def save(self, target: BmcTarget, machine: FakeMachine) -> None:
        """Remember `machine` as the one behind `target`."""
        FakeBmc.objects.update_or_create(
            address=target.address,
            port=target.port,
            defaults={"power": machine.power, "boot_device": machine.boot_device or ""},
        )


def power_driver_for(node: Node) -> PowerDriver:
    """The driver for the node's BMC protocol."""
    if node.bmc_driver == BmcDriver.REDFISH:
        return RedfishPowerDriver()
    if node.bmc_driver == BmcDriver.FAKE:
        return FakePowerDriver(DatabaseFakeStore())
    return IpmiPowerDriver()


def power_target_for(node: Node) -> BmcTarget:
    """The node's BMC as plain data: settings' defaults under the node's own options."""
    defaults = {
        "timeout": settings.BEARMAN_BMC_TIMEOUT,
        "power_wait": settings.BEARMAN_POWER_WAIT_SECONDS,
        "verify_tls": settings.BEARMAN_REDFISH_VERIFY_TLS,
    }
    password = decrypt_secret(node.bmc_password_encrypted) if node.has_bmc_password else ""
    return BmcTarget(
        address=node.bmc_address or "",
        port=node.bmc_port,
        username=node.bmc_username,
        password=password,
        options=MappingProxyType({**defaults, **(node.bmc_options or {})}),
    )
