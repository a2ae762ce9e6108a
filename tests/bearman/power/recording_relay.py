"""A UDP relay in front of a virtual BMC that notes when each request reached it: the
BMC's side of pacing. It can also drop everything, a BMC gone silent, and come back."""

import contextlib
import selectors
import socket
import threading
import time

BURST_GAP = 0.5  # packets closer than this belong to one command (a session: login … logout)


class RecordingRelay:
    """Passes packets between clients and the BMC at `bmc_port`, noting each request's
    arrival (time.monotonic()); while `silent` is set, drops them unanswered."""

    def __init__(self, bmc_port: int):
        self.bmc = ("127.0.0.1", bmc_port)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.arrivals: list[float] = []
        self.silent = threading.Event()
        self.backs: dict[tuple, socket.socket] = {}  # client address → its socket to the BMC

    def relay(self, stop: threading.Event) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.front, selectors.EVENT_READ)
            while not stop.is_set():
                for key, _ in selector.select(0.1):
                    if key.fileobj is self.front:
                        self._request(selector)
                    else:
                        packet = key.fileobj.recv(4096)
                        if not self.silent.is_set():
                            self.front.sendto(packet, key.data)

    def _request(self, selector) -> None:
        packet, client = self.front.recvfrom(4096)
        self.arrivals.append(time.monotonic())
        if self.silent.is_set():
            return
        if client not in self.backs:
            back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            back.connect(self.bmc)
            selector.register(back, selectors.EVENT_READ, data=client)
            self.backs[client] = back
        self.backs[client].send(packet)

    def commands(self) -> list[tuple[float, float]]:
        """(first, last) arrival of each command: requests grouped by BURST_GAP."""
        bursts = []
        for arrival in self.arrivals:
            if bursts and arrival - bursts[-1][1] < BURST_GAP:
                bursts[-1][1] = arrival
            else:
                bursts.append([arrival, arrival])
        return [tuple(burst) for burst in bursts]

    def close(self) -> None:
        for back in self.backs.values():
            back.close()
        self.front.close()


@contextlib.contextmanager
def recording_relays(*bmc_ports: int):
    """One RecordingRelay per BMC port, relaying until the block ends; yields them."""
    relays, stop = [RecordingRelay(port) for port in bmc_ports], threading.Event()
    threads = [threading.Thread(target=r.relay, args=(stop,), daemon=True) for r in relays]
    for thread in threads:
        thread.start()
    try:
        yield relays
    finally:
        stop.set()
        for thread, relay in zip(threads, relays, strict=True):
            thread.join(5)
            relay.close()
