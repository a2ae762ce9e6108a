"""A lab machine booting: ask Bearman's iPXE endpoint, then run what it says."""

import contextlib
import os
import time
import urllib.request
from pathlib import Path

from lab.process.forkserver import AgentForkServer
from lab.process.machine import LabMachine

KERNEL_ARGUMENTS_TO_DROP = {"initrd=initrd", "||", "goto", "failed"}


def ipxe_script(machine: LabMachine, web_url: str, *, patience: float = 120) -> str:
    """The script Bearman serves this machine, fetched the way iPXE fetches it (and as
    iPXE's boot script does, trying again while Bearman does not answer)."""
    request = urllib.request.Request(
        f"{web_url}/ipxe/{machine.uuid}?mac={machine.mac}",
        headers={"User-Agent": "iPXE/1.21.1 (Bearman lab)"},
    )
    deadline = time.monotonic() + patience
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def fetch_marks(script: str) -> None:
    """Fetch what the script's `imgfetch` lines name, as iPXE does (Bearman's record that
    the script ran); a failure is only echoed there, so it is ignored here too."""
    for line in script.splitlines():
        if line.startswith("imgfetch "):
            url = next(word for word in line.split()[1:] if word.startswith("http"))
            with contextlib.suppress(OSError):
                urllib.request.urlopen(url, timeout=30).close()


def kernel_command_line(script: str) -> str | None:
    """The command line of the script's `kernel` line, or None when it boots no kernel."""
    for line in script.splitlines():
        if line.startswith("kernel "):
            words = line.split()[2:]
            return " ".join(w for w in words if w not in KERNEL_ARGUMENTS_TO_DROP)
    return None


def boot(
    machine: LabMachine, *, web_url: str, token: str, standins: Path, agents: AgentForkServer
) -> str:
    """Power on → iPXE → first stage (register or deploy) or local disk; returns the outcome."""
    machine.set("power", "on")
    script = ipxe_script(machine, web_url)
    fetch_marks(script)
    cmdline = kernel_command_line(script)
    if cmdline is None:
        if "poweroff" in script:
            machine.set("power", "off")
            return "powered off (nothing to do)"
        return "booted its disk" if machine.get("os") else "idle (no OS on disk)"
    return run_first_stage(machine, cmdline, token=token, standins=standins, agents=agents)


def run_first_stage(
    machine: LabMachine, cmdline: str, *, token: str, standins: Path, agents: AgentForkServer
) -> str:
    """The real `bearman-cli autorun`, with the machine's stand-in tools on its PATH."""
    (machine.root / "cmdline").write_text(cmdline + "\n")
    work = machine.root / "work"
    work.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{standins}{os.pathsep}{os.environ.get('PATH', '')}",
        "BEARMAN_LAB_MACHINE": str(machine.root),
        "BEARMAN_TOKEN": token,
    }
    argv = ["autorun", "--cmdline", str(machine.root / "cmdline"), "--lldp-wait", "0"]
    argv += ["--workdir", str(work), "--retries", "3"]
    code = agents.run(argv, env=env, log=machine.root / "agent.log", timeout=600)
    return f"first stage exited {code}"
