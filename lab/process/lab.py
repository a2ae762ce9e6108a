"""Running a lab: machines booting, BMCs appearing where the agents configured them."""

import contextlib
import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lab.process.bmc import LabBmcs
from lab.process.boot import boot
from lab.process.forkserver import AgentForkServer
from lab.process.machine import LabMachine
from lab.process.standin import install_standins

log = logging.getLogger("lab.process")


@dataclass
class Lab:
    """`count` machines under `root`, booting against Bearman at `web_url`."""

    root: Path
    count: int
    web_url: str
    token: str
    bmc_port: int = 623
    parallel_boots: int = 16
    machines: list[LabMachine] = field(init=False)
    bmcs: LabBmcs | None = field(default=None, init=False)

    def __post_init__(self):
        self.standins = install_standins(self.root / "bin")
        machines = [
            LabMachine(index, self.root / f"machine-{index}") for index in range(1, self.count + 1)
        ]
        # Started again on the same root, the machines keep their state (and BMCs).
        self.new = {machine.index for machine in machines if machine.is_new}
        self.machines = [machine.create() for machine in machines]
        self.agents = AgentForkServer()
        self.boots = ThreadPoolExecutor(max_workers=self.parallel_boots)
        self.booting: set[int] = set()
        self.lock = threading.Lock()

    def press_power_buttons(self) -> None:
        """New machines boot, as when an operator racks and powers a batch, and so do
        those that were running when the lab stopped; those that were off stay off."""
        for machine in self.machines:
            if machine.index in self.new or machine.get("power") != "off":
                self.boot(machine)

    def boot(self, machine: LabMachine) -> None:
        with self.lock:
            if machine.index in self.booting:
                return
            self.booting.add(machine.index)
        machine.set("power", "on")
        self.boots.submit(self._boot, machine)

    def _boot(self, machine: LabMachine) -> None:
        try:
            outcome = boot(
                machine,
                web_url=self.web_url,
                token=self.token,
                standins=self.standins,
                agents=self.agents,
            )
            log.info("machine %s (%s): %s", machine.index, machine.uuid, outcome)
        except Exception:  # a lab machine that fails to boot is logged, the lab goes on
            log.exception("machine %s failed to boot", machine.index)
        finally:
            with self.lock:
                self.booting.discard(machine.index)

    def summary(self) -> dict[str, int]:
        states = [(m.get("power"), m.get("os")) for m in self.machines]
        return {
            "machines": len(states),
            "powered on": sum(1 for power, _ in states if power != "off"),
            "BMCs up": self.bmcs.count if self.bmcs else 0,
            "OS installed": sum(1 for _, os in states if os == "installed"),
        }

    def run(self, *, stop: threading.Event, report_every: float = 5.0) -> None:
        """Serve the BMCs, boot the machines they power on, report, until `stop` is set."""
        self.bmcs = LabBmcs(root=self.root, count=self.count, port=self.bmc_port)
        last_report = time.monotonic()
        try:
            while not stop.is_set():
                with contextlib.suppress(queue.Empty):
                    self.boot(self.machines[self.bmcs.power_ons.get(timeout=0.3) - 1])
                if time.monotonic() - last_report >= report_every:
                    log.info("lab: %s", self.summary())
                    last_report = time.monotonic()
        finally:
            self.boots.shutdown(wait=False, cancel_futures=True)
            self.bmcs.stop()
            self.agents.stop()
