"""Virtual BMCs: IPMI v2.0 (lanplus) servers on 127.0.0.1 for development, tests and demos.

Each one answers on its own UDP port with its own in-memory machine: power state and
next boot device. Run `python -m lab.virtual_bmc --count 10 --base-port 6230`
(or `manage.py virtual_bmcs`, which can also register matching nodes). Counts above
`MAX_SOCKETS_PER_PROCESS` are served by several processes (see lab.pyghmi_server, item 5).
"""

import argparse
import multiprocessing
import signal
import sys
import uuid

from lab.pyghmi_server import MAX_SOCKETS_PER_PROCESS, CompatBmc

# pyghmi's names for what the IPMI boot flags select.
BOOT_DEVICES = {"network", "hd", "default"}
IPMI_NOT_IN_PRESENT_STATE = 0xD5
NAMESPACE = uuid.UUID("6f0b7c2e-5d1a-4c57-9a51-0c7f3b0b8e11")


def machine_uuid(address: str, port: int) -> uuid.UUID:
    """The SMBIOS UUID of the virtual machine behind address:port (stable across runs)."""
    return uuid.uuid5(NAMESPACE, f"{address}:{port}")


class VirtualBmc(CompatBmc):
    """One BMC with an in-memory machine that starts powered off."""

    def __init__(self, *, address: str, port: int, username: str, password: str):
        super().__init__({username: password}, port=port, address=address)
        self.uuid = machine_uuid(address, port)
        self.power = "off"
        self.boot_device = "default"

    def get_system_guid(self):
        return self.uuid

    def get_power_state(self):
        return self.power

    def power_on(self):
        self.power = "on"

    def power_off(self):
        self.power = "off"

    def power_shutdown(self):
        # The virtual OS obeys ACPI at once.
        self.power = "off"

    def power_reset(self):
        return self._only_when_on()

    def power_cycle(self):
        return self._only_when_on()

    def _only_when_on(self):
        # Like many BMCs: a machine that is off cannot be reset or cycled.
        if self.power != "on":
            return IPMI_NOT_IN_PRESENT_STATE
        self.boot_device = "default"  # a one-time boot device is used up by the boot
        return 0

    def get_boot_device(self):
        return self.boot_device

    def set_boot_device(self, bootdevice):
        self.boot_device = bootdevice if bootdevice in BOOT_DEVICES else "default"


def serve(address: str, ports: list[int], username: str, password: str, ready) -> None:
    """Serve one BMC per port in this process until it is stopped."""
    # The parent's Ctrl-C reaches the whole process group; the parent does the stopping.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for port in ports:
        VirtualBmc(address=address, port=port, username=username, password=password)
    ready.set()
    CompatBmc.listen()


def start(
    *, count: int, base_port: int, username: str, password: str, address: str = "127.0.0.1"
) -> list[multiprocessing.Process]:
    """Start processes serving `count` BMCs on consecutive ports; returns once all listen."""
    ports = list(range(base_port, base_port + count))
    context = multiprocessing.get_context("spawn")
    processes = []
    for first in range(0, count, MAX_SOCKETS_PER_PROCESS):
        ready = context.Event()
        chunk = ports[first : first + MAX_SOCKETS_PER_PROCESS]
        process = context.Process(
            target=serve, args=(address, chunk, username, password, ready), daemon=True
        )
        process.start()
        processes.append((process, ready))
    for process, ready in processes:
        while not ready.wait(0.2):
            if not process.is_alive():
                stop([p for p, _ in processes])
                raise OSError(f"a virtual BMC process could not listen (ports {ports[0]}+)")
    return [process for process, _ in processes]


def stop(processes: list[multiprocessing.Process]) -> None:
    """Stop the processes `start` returned."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)


def run_until_stopped(processes: list[multiprocessing.Process]) -> None:
    """Block until SIGTERM or Ctrl-C, then stop the BMCs."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        pass
    finally:
        stop(processes)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by this module's command line and `manage.py virtual_bmcs`."""
    parser.add_argument("--count", type=int, default=1, help="how many BMCs (default 1)")
    parser.add_argument("--base-port", type=int, default=6230, help="first UDP port")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--username", default="admin", help="BMC user (default admin)")
    parser.add_argument("--password", default="password", help="BMC password")


def banner(options) -> str:
    """The line printed once every BMC listens (tests wait for it)."""
    last = options.base_port + options.count - 1
    return (
        f"Serving {options.count} virtual BMCs on {options.address} UDP ports "
        f"{options.base_port}-{last} (user {options.username}); Ctrl-C stops them."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    options = parser.parse_args(argv)
    processes = start(
        count=options.count,
        base_port=options.base_port,
        username=options.username,
        password=options.password,
        address=options.address,
    )
    print(banner(options), flush=True)
    run_until_stopped(processes)


if __name__ == "__main__":
    main()
