"""Running a lab: machines booting, BMCs appearing where the agents configured them."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bearman.lab.bmc import LabBmc, listen_in_background
from bearman.lab.boot import boot
from bearman.lab.machine import LabMachine
from bearman.lab.standin import install_standins

log = logging.getLogger("bearman.lab")


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
    bmcs: dict[int, LabBmc] = field(default_factory=dict, init=False)

    def __post_init__(self):
        self.standins = install_standins(self.root / "bin")
        self.machines = [
            LabMachine(index, self.root / f"machine-{index}").create()
            for index in range(1, self.count + 1)
        ]
        self.boots = ThreadPoolExecutor(max_workers=self.parallel_boots)
        self.booting: set[int] = set()
        self.lock = threading.Lock()

    def press_power_buttons(self) -> None:
        """Every machine boots, as when an operator racks and powers a batch."""
        for machine in self.machines:
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
            outcome = boot(machine, web_url=self.web_url, token=self.token, standins=self.standins)
            log.info("machine %s (%s): %s", machine.index, machine.uuid, outcome)
        except Exception:  # a lab machine that fails to boot is logged, the lab goes on
            log.exception("machine %s failed to boot", machine.index)
        finally:
            with self.lock:
                self.booting.discard(machine.index)

    def start_configured_bmcs(self) -> int:
        """Bring up the BMC of every machine whose agent has configured one."""
        started = 0
        for machine in self.machines:
            if machine.index in self.bmcs:
                continue
            settings = machine.bmc_settings()
            users = [u for u in settings["users"].values() if "name" in u and "password" in u]
            if "address" not in settings or not users:
                continue
            self.bmcs[machine.index] = LabBmc(
                machine=machine,
                address=settings["address"],
                port=self.bmc_port,
                username=users[0]["name"],
                password=users[0]["password"],
                on_boot=self.boot,
            )
            started += 1
        if started:
            listen_in_background()
        return started

    def summary(self) -> dict[str, int]:
        states = [(m.get("power"), m.get("os")) for m in self.machines]
        return {
            "machines": len(states),
            "powered on": sum(1 for power, _ in states if power != "off"),
            "BMCs up": len(self.bmcs),
            "OS installed": sum(1 for _, os in states if os == "installed"),
        }

    def run(self, *, stop: threading.Event, report_every: float = 5.0) -> None:
        """Watch for configured BMCs and report until `stop` is set."""
        last_report = 0.0
        while not stop.wait(0.3):
            self.start_configured_bmcs()
            if time.monotonic() - last_report >= report_every:
                log.info("lab: %s", self.summary())
                last_report = time.monotonic()
        self.boots.shutdown(wait=False, cancel_futures=True)
