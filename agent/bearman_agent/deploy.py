"""Deployment: GetProfile, GetDetail, download, install script, ReportInstalled, then boot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bearman_agent import timeline
from bearman_agent.commands import Command, CommandRunner, require_tools
from bearman_agent.convert import message_to_dict
from bearman_agent.download import download
from bearman_agent.errors import ServerRefused
from bearman_agent.failure import report_failure
from bearman_agent.install_script import detail_environment, run_install_script
from bearman_agent.output import progress
from bearman_agent.wire.bearman.v1 import agent_pb2

KEXEC = agent_pb2.BOOT_METHOD_KEXEC
IPXE = agent_pb2.BOOT_METHOD_IPXE
REBOOT = Command(("reboot",))


@dataclass
class DeployOptions:
    """Where to work and how patient to be."""

    workdir: Path
    script_timeout: float = 3600.0
    download_attempts: int = 5


@dataclass
class Deployment:
    """One run of the deploy flow; remembers the agent token once GetProfile hands it out."""

    client: Any
    system_uuid: str
    agent_address: str
    runner: CommandRunner
    options: DeployOptions
    agent_client: Any | None = None
    profile: Any = None
    detail: Any = None
    boot_commands: list[Command] = field(default_factory=list)

    def run(self) -> Deployment:
        """The whole flow; on any failure ReportFailed(phase="deploy") and re-raise."""
        try:
            self._run()
        except Exception as failure:
            report_failure(
                self.agent_client or self.client,
                system_uuid=self.system_uuid,
                error=failure,
                agent_address=self.agent_address,
                phase="deploy",
            )
            raise
        return self

    def _run(self) -> None:
        """Each step in order; the boot command is loaded before ReportInstalled, run after."""
        self.profile = self.client.get_profile(self.system_uuid)
        self.agent_client = self.client.with_token(self.profile.agent_token)
        progress(f"deploying profile {self.profile.profile_name!r} as {self.profile.hostname!r}")
        if self.profile.boot_method not in (KEXEC, IPXE):
            raise ServerRefused("the server sent a profile without a boot method")
        require_tools(["kexec"] if self.profile.boot_method == KEXEC else ["reboot"])
        self.detail = self.agent_client.get_detail(self.system_uuid)
        kernel, initrd = None, None
        if self.profile.boot_method == KEXEC:
            kernel, initrd = self._download()
            self._report(timeline.ARTIFACTS_DOWNLOADED)
        self._report(timeline.INSTALL_SCRIPT_STARTED)
        run_install_script(
            self.profile.install_script,
            workdir=self.options.workdir,
            env=self._environment(kernel, initrd),
            timeout=self.options.script_timeout,
        )
        self.boot_commands = boot_commands(self.profile, kernel, initrd)
        for command in self.boot_commands[:-1]:
            self.runner.run(command)
        self.agent_client.report_installed(self.system_uuid)
        progress("reported INSTALLED")
        self.runner.run(self.boot_commands[-1])

    def _report(self, step: int) -> None:
        timeline.report_step(self.agent_client, system_uuid=self.system_uuid, step=step)

    def _download(self) -> tuple:
        """The kernel and the initrd (None when the profile has none) in the work directory."""
        kernel = self._fetch(self.profile.kernel, "kernel")
        initrd = self._fetch(self.profile.initrd, "initrd") if self.profile.initrd.url else None
        return kernel, initrd

    def _fetch(self, artifact: Any, name: str) -> Path:
        """One artifact, verified."""
        return download(
            artifact.url,
            self.options.workdir / name,
            sha256=artifact.sha256,
            attempts=self.options.download_attempts,
        )

    def _environment(self, kernel: Path | None, initrd: Path | None) -> dict:
        """The install script's BEARMAN_* variables."""
        extra = {
            "BEARMAN_SYSTEM_UUID": self.system_uuid,
            "BEARMAN_PROFILE": self.profile.profile_name,
            "BEARMAN_KERNEL": str(kernel or ""),
            "BEARMAN_INITRD": str(initrd or ""),
            "BEARMAN_APPEND": self.profile.append,
            "BEARMAN_SERVER": self.client.target,
            "BEARMAN_AGENT_ADDRESS": self.agent_address,
        }
        return detail_environment(message_to_dict(self.detail), extra)


def boot_commands(profile: Any, kernel: Path | None, initrd: Path | None) -> list[Command]:
    """`kexec -l … --append=…` then `kexec -e`; or `reboot` for the direct iPXE boot method."""
    if profile.boot_method != KEXEC:
        return [REBOOT]
    load = ["kexec", "-l", str(kernel)]
    if initrd is not None:
        load.append(f"--initrd={initrd}")
    load.append(f"--append={profile.append}")
    return [Command(tuple(load)), Command(("kexec", "-e"))]
