"""Wire messages to plain data and back; every value an agent sends is checked here."""

import ipaddress
import re

from django.core.exceptions import ValidationError

from bearman.facts import MAX_FACT_DISKS, MAX_FACT_NICS, validate_facts_limits
from bearman.models import BootStepName
from bearman.validators import normalize_mac, normalize_system_uuid, validate_interface_name
from bearman_agent.wire.bearman.v1 import agent_pb2

MAX_TEXT = 256
MAX_MESSAGE = 8192
# Control characters other than tab and newline.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    """A string field, stripped; INVALID_ARGUMENT when oversized or not printable."""
    if len(value) > limit:
        raise ValidationError(f"{field} is longer than {limit} characters")
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(f"{field} contains control characters")
    return value.strip()


def system_uuid(value: str, field: str = "system_uuid") -> str:
    if not value:
        raise ValidationError(f"{field} is required")
    try:
        return normalize_system_uuid(value)
    except ValidationError as error:
        raise ValidationError(f"{field}: {error.messages[0]}") from None


def ip_address(value: str, field: str, *, required: bool = False) -> str:
    if not value:
        if required:
            raise ValidationError(f"{field} is required")
        return ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValidationError(
            f"{field}: {text(value, field)[:64]!r} is not an IP address"
        ) from None


def mac(value: str, field: str) -> str:
    if not value:
        return ""
    try:
        return normalize_mac(value)
    except ValidationError:
        raise ValidationError(f"{field}: {value[:64]!r} is not a MAC address") from None


def interface_name(value: str, field: str) -> str:
    """A NIC's name as the Linux kernel allows it; INVALID_ARGUMENT otherwise."""
    try:
        validate_interface_name(value)
    except ValidationError as error:
        raise ValidationError(f"{field}: {error.messages[0]}") from None
    return value


def _count(items, field: str, limit: int):
    # Counted before converting: a request of empty entries is cheap to send, not to convert.
    if len(items) > limit:
        raise ValidationError(f"{field} has more than {limit} entries")
    return items


def facts_from_proto(facts: agent_pb2.Facts) -> tuple[dict, dict]:
    """(identity, hardware facts) from a Register call's Facts, or ValidationError."""
    identity = {
        "uuid": system_uuid(facts.system_uuid, "facts.system_uuid"),
        "serial": text(facts.serial, "facts.serial", 128),
        "vendor": text(facts.vendor, "facts.vendor", 128),
        "product_name": text(facts.product, "facts.product", 128),
    }
    hardware = {
        "cpu": {
            "model": text(facts.cpu.model, "facts.cpu.model"),
            "sockets": facts.cpu.sockets,
            "cores": facts.cpu.cores,
            "threads": facts.cpu.threads,
        },
        "memory_bytes": facts.memory_bytes,
        "disks": [
            _disk(disk, i)
            for i, disk in enumerate(_count(facts.disks, "facts.disks", MAX_FACT_DISKS))
        ],
        "nics": [
            _nic(nic, i) for i, nic in enumerate(_count(facts.nics, "facts.nics", MAX_FACT_NICS))
        ],
        "bmc": {
            "mac": mac(facts.bmc.mac, "facts.bmc.mac"),
            "firmware": text(facts.bmc.firmware, "facts.bmc.firmware"),
        },
        "firmware": {"bios_version": text(facts.bios_version, "facts.bios_version")},
    }
    validate_facts_limits(hardware)
    return identity, hardware


def _disk(disk, index: int) -> dict:
    field = f"facts.disks[{index}]"
    return {
        "name": text(disk.name, f"{field}.name", 64),
        "model": text(disk.model, f"{field}.model"),
        "serial": text(disk.serial, f"{field}.serial"),
        "size_bytes": disk.size_bytes,
        "rotational": disk.rotational,
    }


def _nic(nic, index: int) -> dict:
    field = f"facts.nics[{index}]"
    lldp = nic.lldp
    return {
        "name": interface_name(nic.name, f"{field}.name"),
        "mac": mac(nic.mac, f"{field}.mac"),
        "speed_mbps": nic.speed_mbps,
        "link": nic.link,
        "lldp": {
            "chassis_id": text(lldp.chassis_id, f"{field}.lldp.chassis_id"),
            "system_name": text(lldp.system_name, f"{field}.lldp.system_name"),
            "port_id": text(lldp.port_id, f"{field}.lldp.port_id"),
            "port_description": text(lldp.port_description, f"{field}.lldp.port_description"),
        },
    }


def bmc_settings_to_proto(bmc) -> agent_pb2.BmcSettings:
    return agent_pb2.BmcSettings(
        address=bmc.address,
        prefix_length=bmc.prefix_length,
        netmask=bmc.netmask,
        gateway=bmc.gateway,
        vlan=bmc.vlan,
        username=bmc.username,
        password=bmc.password,
        channel=bmc.channel,
        user_id=bmc.user_id,
    )


BOOT_METHODS = {"kexec": agent_pb2.BOOT_METHOD_KEXEC, "ipxe": agent_pb2.BOOT_METHOD_IPXE}


def profile_to_proto(claim) -> agent_pb2.GetProfileResponse:
    return agent_pb2.GetProfileResponse(
        profile_name=claim.profile_name,
        kernel=agent_pb2.Artifact(url=claim.kernel_url, sha256=claim.kernel_sha256),
        initrd=agent_pb2.Artifact(url=claim.initrd_url, sha256=claim.initrd_sha256),
        append=claim.append,
        install_script=claim.install_script,
        boot_method=BOOT_METHODS[claim.boot_method],
        agent_token=claim.agent_token,
        hostname=claim.hostname,
    )


def detail_to_proto(detail) -> agent_pb2.GetDetailResponse:
    return agent_pb2.GetDetailResponse(
        hostname=detail.hostname,
        addresses=[
            agent_pb2.InterfaceAddress(
                interface=item.get("interface", ""),
                address=item.get("address", ""),
                prefix_length=item.get("prefix", 0),
                gateway=item.get("gateway") or "",
                vlan=item.get("vlan") or 0,
                pool=item.get("pool", ""),
            )
            for item in detail.addresses
        ],
        bond=agent_pb2.Bond(
            mode=detail.bond_mode, options=detail.bond_options, members=detail.bond_members
        ),
        dns_servers=detail.dns_servers,
        vlan=detail.vlan or 0,
    )


# The steps an agent may report, from the wire's names to the timeline's.
PROGRESS_STEPS = {
    agent_pb2.PROGRESS_STEP_ARTIFACTS_DOWNLOADED: BootStepName.ARTIFACTS_DOWNLOADED,
    agent_pb2.PROGRESS_STEP_INSTALL_SCRIPT_STARTED: BootStepName.INSTALL_STARTED,
    agent_pb2.PROGRESS_STEP_BMC_CONFIGURED: BootStepName.BMC_CONFIGURED,
    agent_pb2.PROGRESS_STEP_POWERING_OFF: BootStepName.POWERING_OFF,
}


def progress_step(value: int) -> BootStepName:
    """A ReportProgress step; INVALID_ARGUMENT for UNSPECIFIED or one this server does not know."""
    try:
        return PROGRESS_STEPS[value]
    except KeyError:
        raise ValidationError(f"step: {value} is not a step an agent reports") from None
