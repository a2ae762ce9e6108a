"""Shell stand-ins for the tools the agent runs, reading and writing the machine's files.

They find the machine through $BEARMAN_LAB_MACHINE, which the lab sets for each agent.
They print with shell builtins only: a `cat` per tool was a process more per tool run,
some 1,200 of them for a lab of 200 machines.
"""

import functools
from pathlib import Path

import bearman_agent.facts
from bearman_agent.facts import memory, net

# `cat` of one of the machine's files (the last line may lack its newline).
SHOW = (
    'show() { while IFS= read -r line || [ -n "$line" ]; do printf "%s\\n" "$line"; '
    'done < "$BEARMAN_LAB_MACHINE/$1"; }'
)
SCRIPTS = {
    "dmidecode": "show dmidecode.out",
    "lscpu": "show lscpu.out",
    "lsblk": "show lsblk.out",
    "lldpctl": "show lldpctl.out",
    "ipmitool": (
        'case "$1 $2" in\n'
        '  "lan print") show lanprint.out ;;\n'
        '  "bmc info") show bmcinfo.out ;;\n'
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
        script.write_text(f"#!/bin/sh\n{SHOW}\n{body}\n")
        script.chmod(0o755)
    return directory


def agent_reads_machine(machine_root: Path) -> None:
    """Point this agent process's reads of the kernel (/sys/class/net, /proc/meminfo) at
    the machine's copies: without it every lab machine reported the host's NICs and
    memory, and a search by MAC found all of them."""
    bearman_agent.facts.read_nics = functools.partial(
        net.read_nics, machine_root / "sys" / "class" / "net"
    )
    memory.PROC_MEMINFO = machine_root / "meminfo"
