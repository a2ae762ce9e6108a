"""Shell stand-ins for the tools the agent runs, reading and writing the machine's files.

They find the machine through $BEARMAN_LAB_MACHINE, which the lab sets for each agent.
"""

from pathlib import Path

SCRIPTS = {
    "dmidecode": 'cat "$BEARMAN_LAB_MACHINE/dmidecode.out"',
    "lscpu": 'cat "$BEARMAN_LAB_MACHINE/lscpu.out"',
    "lsblk": 'cat "$BEARMAN_LAB_MACHINE/lsblk.out"',
    "lldpctl": 'cat "$BEARMAN_LAB_MACHINE/lldpctl.out"',
    "ipmitool": (
        'case "$1 $2" in\n'
        '  "lan print") cat "$BEARMAN_LAB_MACHINE/lanprint.out" ;;\n'
        '  "bmc info") cat "$BEARMAN_LAB_MACHINE/bmcinfo.out" ;;\n'
        '  *) printf "%s\\n" "$*" >> "$BEARMAN_LAB_MACHINE/ipmitool.log" ;;\n'
        "esac"
    ),
    "poweroff": 'echo off > "$BEARMAN_LAB_MACHINE/power"',
    "reboot": 'echo reboot > "$BEARMAN_LAB_MACHINE/power"',
    # kexec -e "starts" the installed OS: the disk now holds it.
    "kexec": '[ "$1" = "-e" ] && echo installed > "$BEARMAN_LAB_MACHINE/os"; exit 0',
}


def install_standins(directory: Path) -> Path:
    """Write the stand-ins into `directory`, to go first on the agent's PATH."""
    directory.mkdir(parents=True, exist_ok=True)
    for tool, body in SCRIPTS.items():
        script = directory / tool
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
    return directory
