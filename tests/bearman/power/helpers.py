"""Real BMCs for tests: virtual IPMI BMCs in a subprocess, sushy-tools' Redfish emulator."""

import contextlib
import datetime
import ipaddress
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import bcrypt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[3]
IPMITOOL = shutil.which("ipmitool") or "/usr/bin/ipmitool"
USER, PASSWORD = "admin", "Virtual-Bmc-Pw-1"
EPHEMERAL_PORTS_START = 32768  # Linux's default net.ipv4.ip_local_port_range


def free_port_range(count: int, kind=socket.SOCK_DGRAM) -> int:
    """The first of `count` consecutive ports that are free now on 127.0.0.1.

    Below the kernel's ephemeral range (32768 and up): a BMC process opens a client
    socket of its own first (lab.pyghmi_server, 8), and an ephemeral port it is given inside
    the range would take one of its BMCs' ports.
    """
    for _ in range(200):
        base = random.randrange(EPHEMERAL_PORTS_START - 12000, EPHEMERAL_PORTS_START - count)
        if all(_bindable(port, kind) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports")


def _bindable(port: int, kind) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def virtual_bmcs(
    count: int = 1, *, base_port: int | None = None, timeout: float = 60, address: str = "127.0.0.1"
):
    """Run `python -m lab.virtual_bmc` listening on `address`; yields its first port."""
    base_port = base_port or free_port_range(count)
    command = [sys.executable, "-m", "lab.virtual_bmc", "--count", str(count)]
    command += ["--base-port", str(base_port), "--username", USER, "--password", PASSWORD]
    command += ["--address", address]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_for_banner(process, timeout)
        yield base_port
    finally:
        stop_process(process)


class SilentBmc:
    """A UDP port that takes every packet and never answers, noting when each came."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.arrivals: list[float] = []  # time.monotonic() of each packet

    def listen(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.socket.recvfrom(4096)
            except TimeoutError:
                continue
            self.arrivals.append(time.monotonic())


@contextlib.contextmanager
def silent_bmcs(count: int):
    """`count` BMCs that have gone silent (a hung BMC, a dropped network); yields them."""
    bmcs, stop = [SilentBmc() for _ in range(count)], threading.Event()
    threads = [threading.Thread(target=bmc.listen, args=(stop,), daemon=True) for bmc in bmcs]
    for thread in threads:
        thread.start()
    try:
        yield bmcs
    finally:
        stop.set()
        for thread, bmc in zip(threads, bmcs, strict=True):
            thread.join(5)
            bmc.socket.close()


def _wait_for_banner(process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("Serving"):
            return
        if not line and process.poll() is not None:
            break
    raise RuntimeError(f"virtual BMCs did not start: {line!r}")


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def ipmitool(port: int, *args: str, address: str = "127.0.0.1") -> str:
    """ipmitool's answer from a virtual BMC: an independent client checks what we did."""
    command = [IPMITOOL, "-I", "lanplus", "-C", "3", "-H", address, "-p", str(port)]
    command += ["-U", USER, "-P", PASSWORD, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "virtual-bmc.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "bmc.crt", directory / "bmc.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextlib.contextmanager
def redfish_emulator(directory: Path, systems: list[str]):
    """sushy-tools' emulator (fake driver) over HTTPS with basic auth; yields (port, cert)."""
    cert, key = _self_signed(directory)
    users = directory / "htpasswd"
    users.write_text(
        f"{USER}:{bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
    )
    fake_systems = [
        {"uuid": uuid, "name": f"system-{index}", "power_state": "Off", "nics": []}
        for index, uuid in enumerate(systems)
    ]
    config = directory / "emulator.conf"
    config.write_text(
        "SUSHY_EMULATOR_FAKE_DRIVER = True\n"
        "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'\n"
        f"SUSHY_EMULATOR_STATE_DIR = {str(directory / 'state')!r}\n"
        f"SUSHY_EMULATOR_AUTH_FILE = {str(users)!r}\n"
        f"SUSHY_EMULATOR_SSL_CERT = {str(cert)!r}\n"
        f"SUSHY_EMULATOR_SSL_KEY = {str(key)!r}\n"
        f"SUSHY_EMULATOR_FAKE_SYSTEMS = {fake_systems!r}\n"
    )
    port = free_port_range(1, socket.SOCK_STREAM)
    emulator = Path(sys.executable).parent / "sushy-emulator"
    process = subprocess.Popen(
        [str(emulator), "--config", str(config), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        _wait_for_https(port, cert, process)
        yield port, cert
    finally:
        stop_process(process)


def _wait_for_https(port: int, cert: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(f"https://127.0.0.1:{port}/redfish/v1/", verify=str(cert), timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("the Redfish emulator did not start")


def redfish_system(port: int, cert: Path, uuid: str) -> dict:
    """The emulator's own view of a system, read with plain HTTP (not through sushy)."""
    response = requests.get(
        f"https://127.0.0.1:{port}/redfish/v1/Systems/{uuid}",
        auth=(USER, PASSWORD),
        verify=str(cert),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


RMCP_PLUS = 0x06  # the RMCP+ session header's authentication type (IPMI 2.0 table 13-8)
RAKP4 = 0x15  # the payload type of RAKP message 4: the login's last answer (table 13-16)


class LoginThenSilence:
    """A UDP relay to a BMC that passes the login through, then drops every packet: a BMC
    that hung (or a network that failed) just after it logged us in.

    A login ends with RAKP4 and one command, Set Session Privilege Level (pyghmi asks for
    the administrator's); silence begins after the BMC's answer to that.
    """

    def __init__(self, bmc_port: int):
        self.bmc = ("127.0.0.1", bmc_port)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.connect(self.bmc)
        self.port = self.front.getsockname()[1]
        self.logged_in = threading.Event()
        self.client = None
        self.rakp4_seen = False

    def relay(self, stop: threading.Event) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.front, selectors.EVENT_READ)
            selector.register(self.back, selectors.EVENT_READ)
            while not stop.is_set():
                for key, _ in selector.select(0.1):
                    self._pass(key.fileobj)

    def _pass(self, sock) -> None:
        packet, sender = sock.recvfrom(4096)
        if self.logged_in.is_set():
            return  # silence
        if sock is self.front:
            self.client = sender
            self.back.send(packet)
            return
        self.front.sendto(packet, self.client)
        if self.rakp4_seen:
            self.logged_in.set()
        elif len(packet) > 5 and packet[4] == RMCP_PLUS and packet[5] & 0x3F == RAKP4:
            self.rakp4_seen = True


@contextlib.contextmanager
def bmc_silent_after_login(bmc_port: int):
    """A relay to the BMC at `bmc_port` that goes silent once a login is done; yields it."""
    relay, stop = LoginThenSilence(bmc_port), threading.Event()
    thread = threading.Thread(target=relay.relay, args=(stop,), daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        stop.set()
        thread.join(5)
        relay.front.close()
        relay.back.close()
