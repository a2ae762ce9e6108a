"""The tools a lab machine's agent runs, standing in for the real ones.

Installed as small scripts on the agent's PATH (`python -m bearman.lab.standin TOOL`);
they read and change the machine's state file named by BEARMAN_LAB_MACHINE.
"""

import os
import sys
from pathlib import Path

from bearman.lab.machine import STANDINS, LabMachine


def machine() -> LabMachine:
    root = Path(os.environ["BEARMAN_LAB_MACHINE"])
    return LabMachine(index=int(root.name.rsplit("-", 1)[1]), root=root)


def ipmitool(lab: LabMachine, args: list[str]) -> str:
    """The in-band ipmitool commands the agent uses: read and set the LAN and the user."""
    if args[:2] == ["lan", "print"]:
        return lab.lan_print()
    if args[:2] == ["bmc", "info"]:
        return lab.bmc_info()
    if args[:2] == ["lan", "set"]:
        bmc = lab.state().get("bmc", {})
        key = " ".join(args[3:-1])
        bmc[key] = args[-1]
        lab.update(bmc=bmc)
        return ""
    if args[:3] in (["user", "set", "name"], ["user", "set", "password"]):
        bmc = lab.state().get("bmc", {})
        bmc.setdefault("users", {}).setdefault(args[3], {})[args[2]] = args[4]
        lab.update(bmc=bmc)
        return ""
    if args[:1] in (["user"], ["channel"]):
        return ""  # privilege, enable, channel access: a lab BMC lets its users in
    raise SystemExit(f"lab ipmitool: unsupported command {' '.join(args)!r}")


def run(tool: str, args: list[str]) -> str:
    lab = machine()
    if tool in {"dmidecode", "lscpu", "lsblk", "lldpctl"}:
        return lab.tool_output(tool)
    if tool == "ipmitool":
        return ipmitool(lab, args)
    if tool == "poweroff":
        lab.update(power="off", os="")
    elif tool == "reboot":
        lab.update(power="rebooting", os="")
    elif tool == "kexec" and args[:1] == ["-l"]:
        lab.update(kexec=args)
    elif tool == "kexec" and args[:1] == ["-e"]:
        lab.update(os="installed")
    return ""


def main() -> None:
    tool, *args = sys.argv[1:]
    sys.stdout.write(run(tool, args))


def install_standins(directory: Path) -> None:
    """Write the stand-in scripts into `directory` (put it first on the agent's PATH)."""
    directory.mkdir(parents=True, exist_ok=True)
    for tool in STANDINS:
        script = directory / tool
        script.write_text(
            f"#!{sys.executable}\nimport sys\nsys.argv[1:1] = [{tool!r}]\n"
            "from bearman.lab.standin import main\nmain()\n"
        )
        script.chmod(0o755)


if __name__ == "__main__":
    main()
