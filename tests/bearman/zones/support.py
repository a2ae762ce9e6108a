"""Brokers by URL, and witnesses that tell which process talked to a BMC.

A witness is a UDP relay in front of one virtual BMC: it passes every packet on and
notes its source port. Which process owns a port is in /proc (the socket's inode in
/proc/net/udp*, and the process whose descriptors include that socket), so a test can
say which worker's processes reached which BMC, from the BMC's side of the network.
"""

import contextlib
import os
import selectors
import socket
import threading
from collections import defaultdict
from pathlib import Path

from kombu import Connection, Queue

from bearman.celery import app as celery_app
from bearman.services.queueing import Lane, zone_queue_name
from tests.conftest import require

from ..power.worker import _drop_connections

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    """The Redis the suite is told to use (CELERY_BROKER_URL), else the local default."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis") else REDIS_URL


@contextlib.contextmanager
def broker(url: str, zones: list[str]):
    """This process's Celery on the broker at `url`, with `zones`' queues and the
    zone-less lanes emptied first; a broker that does not answer skips (fails in CI)."""
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
            names = [zone_queue_name(zone, lane) for zone in zones for lane in Lane]
            for name in names + [lane.value for lane in Lane]:
                queue = Queue(name, channel=connection.default_channel)
                queue.declare()
                queue.purge()
    except Exception as error:
        require(False, f"the broker at {url} is required here and does not answer: {error}")
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    saved_environment = os.environ.get("CELERY_BROKER_URL")
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = url, {}
    _drop_connections()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved
        if saved_environment is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = saved_environment
        _drop_connections()


class Witness:
    """A relay on `address` in front of the BMC at address:bmc_port; notes source ports."""

    def __init__(self, address: str, bmc_port: int):
        self.bmc = (address, bmc_port)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((address, 0))
        self.port = self.front.getsockname()[1]
        self.source_ports: set[int] = set()
        self.backs: dict[tuple, socket.socket] = {}  # client → its socket to the BMC


@contextlib.contextmanager
def witnesses(bmcs: list[tuple[str, int]]):
    """One Witness per (address, port) of a BMC, relaying until the block ends."""
    relays = [Witness(address, port) for address, port in bmcs]
    stop = threading.Event()
    thread = threading.Thread(target=_relay, args=(relays, stop), daemon=True)
    thread.start()
    try:
        yield relays
    finally:
        stop.set()
        thread.join(5)
        for relay in relays:
            for back in relay.backs.values():
                back.close()
            relay.front.close()


def _relay(relays: list[Witness], stop: threading.Event) -> None:
    with selectors.DefaultSelector() as selector:
        for relay in relays:
            selector.register(relay.front, selectors.EVENT_READ, (relay, None))
        while not stop.is_set():
            for key, _ in selector.select(0.1):
                relay, client = key.data
                packet, sender = key.fileobj.recvfrom(65535)
                if client is not None:  # the BMC's answer
                    relay.front.sendto(packet, client)
                    continue
                relay.source_ports.add(sender[1])
                back = relay.backs.get(sender)
                if back is None:
                    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    back.connect(relay.bmc)
                    relay.backs[sender] = back
                    selector.register(back, selectors.EVENT_READ, (relay, sender))
                back.send(packet)


def udp_port_process_groups(ports: set[int]) -> dict[int, set[int]]:
    """port → the process groups of the processes holding a UDP socket on it."""
    inodes = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if port in ports:
                inodes[f"socket:[{fields[9]}]"] = port
    groups = defaultdict(set)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to read
            for fd in os.listdir(f"/proc/{pid}/fd"):
                port = inodes.get(os.readlink(f"/proc/{pid}/fd/{fd}"))
                if port is not None:
                    groups[port].add(os.getpgid(int(pid)))
    return dict(groups)
