"""A lab VM's BMC: OpenIPMI's `ipmi_sim`, attached in-band over KCS and serving IPMI on LAN.

`chassis power on` runs the VM's power-on script (the QEMU process), `off` stops it, and a
guest that powers itself off shows as off. The LAN settings the guest sets in-band
(`ipmitool lan set 1 ipaddr …`) go through `lan-config`, which keeps them in a file the
lab reads to make that address answer (see `relay`).
"""

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .qemu import VmSpec

IPMI_SIM = "ipmi_sim"
# The lab's own account, for pressing the power button; the agent adds Bearman's in-band.
LAB_USER, LAB_PASSWORD = "lab", "lab-power-button"
LAN_SETTINGS_FILE = "bmc-lan"
START_SECONDS = 10

LAN_CONFIG_SCRIPT = """#!/bin/sh
# ipmi_sim's lan_config_program for one lab VM: it keeps what the guest sets in-band
# in {settings} ("name value" lines) and answers reads from there.
state={settings}
action=$1; shift
case "$action" in
set)
    while [ $# -ge 2 ]; do
        {{ grep -v "^$1 " "$state" 2>/dev/null; echo "$1 $2"; }} > "$state.new"
        mv "$state.new" "$state"
        shift 2
    done ;;
check) ;;
get)
    for name in "$@"; do
        value=$(sed -n "s/^$name //p" "$state" 2>/dev/null)
        if [ -z "$value" ]; then
            case "$name" in
            ip_addr_src) value=static ;;
            mac_addr) value={mac} ;;
            *_mac_addr) value=00:00:00:00:00:00 ;;
            *) value=0.0.0.0 ;;
            esac
        fi
        echo "$name: $value"
    done ;;
esac
"""

# One BMC (the MC at 0x20) with a system event log; enabled so its channels come up.
EMU_COMMANDS = """mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
"""

LAN_CONF = """# ipmi_sim configuration of lab VM {name}, written by the VM lab at each start.
name "{name}"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 {lan_port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid {guid}
    lan_config_program "{lan_config}"
  endlan
  serial 15 127.0.0.1 {kcs_port} codec VM
  startcmd "{power_on}"
  startnow false
  poweroff_wait 2
  kill_wait 3
  user 2 true "{user}" "{password}" admin 10 none md2 md5 straight
"""


@dataclass(frozen=True)
class BmcPorts:
    """The loopback ports of one ipmi_sim: IPMI over LAN (UDP) and the VM's KCS link (TCP)."""

    lan: int
    kcs: int


def bmc_mac(vm_mac: str) -> str:
    """The BMC's own MAC: the VM's with the locally administered prefix changed."""
    return "52:55:" + vm_mac.split(":", 2)[2]


def write_bmc_config(spec: VmSpec, ports: BmcPorts, power_on: Path) -> Path:
    """Write lan.conf, the emulator commands and the lan-config program; return lan.conf."""
    directory = spec.directory
    lan_config = directory / "lan-config"
    lan_config.write_text(
        LAN_CONFIG_SCRIPT.format(settings=directory / LAN_SETTINGS_FILE, mac=bmc_mac(spec.mac))
    )
    lan_config.chmod(0o755)
    (directory / "bmc.emu").write_text(EMU_COMMANDS)
    (directory / "bmc-state").mkdir(exist_ok=True)
    conf = directory / "lan.conf"
    conf.write_text(
        LAN_CONF.format(
            name=spec.name,
            lan_port=ports.lan,
            kcs_port=ports.kcs,
            guid=spec.uuid.replace("-", ""),
            lan_config=lan_config,
            power_on=power_on,
            user=LAB_USER,
            password=LAB_PASSWORD,
        )
    )
    return conf


def start_bmc(spec: VmSpec, ports: BmcPorts, conf: Path) -> subprocess.Popen:
    """Start ipmi_sim for `spec` and wait until its LAN and KCS ports are open."""
    if not shutil.which(IPMI_SIM):
        raise FileNotFoundError("ipmi_sim is missing: apt-get install openipmi")
    log = (spec.directory / "bmc.log").open("ab")
    process = subprocess.Popen(
        [IPMI_SIM, "-n", "-c", str(conf), "-f", str(spec.directory / "bmc.emu"),
         "-s", str(spec.directory / "bmc-state")],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ipmi_sim of {spec.name} exited; see {spec.directory}/bmc.log")
        if _answers(ports):
            return process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"ipmi_sim of {spec.name} did not start within {START_SECONDS} s")


def _answers(ports: BmcPorts) -> bool:
    # Its sockets open before its MC is enabled: a login is what proves it ready. (Never
    # probe the KCS port: ipmi_sim takes a connection there for its VM and stops listening.)
    try:
        press_power(ports, "status", retries=1)
    except RuntimeError:
        return False
    return True


def lan_settings(spec: VmSpec) -> dict[str, str]:
    """What the guest has set on its BMC's LAN channel in-band (ip_addr, subnet_mask, …)."""
    path = spec.directory / LAN_SETTINGS_FILE
    if not path.exists():
        return {}
    pairs = (line.split(" ", 1) for line in path.read_text().splitlines() if " " in line)
    return {name: value for name, value in pairs}


def press_power(ports: BmcPorts, action: str, retries: int = 4) -> str:
    """`ipmitool chassis power ACTION` over LAN with the lab's account: the power button."""
    result = subprocess.run(
        ["ipmitool", "-I", "lanplus", "-C", "3", "-N", "1", "-R", str(retries),
         "-H", "127.0.0.1", "-p", str(ports.lan),
         "-U", LAB_USER, "-P", LAB_PASSWORD, "chassis", "power", action],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"power {action} failed: {result.stderr.strip()}")
    return result.stdout.strip()
