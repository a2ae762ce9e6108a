"""Makes the BMC address a guest configured in-band answer: a UDP relay from that address's
port 623 to its ipmi_sim on loopback (ipmi_sim listens only where its config says).

The address comes from the guest, so only loopback addresses are ever bound.
"""

import ipaddress
import logging
import selectors
import socket
import threading

IPMI_PORT = 623
DATAGRAM = 4096

logger = logging.getLogger(__name__)


class BmcRelays:
    """One relay per BMC address, all served by one thread."""

    def __init__(self, port: int = IPMI_PORT):
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.listeners: dict[str, socket.socket] = {}  # bmc name -> socket on its address
        self.lock = threading.Lock()

    def serve(self, name: str, address: str, target_port: int) -> bool:
        """Answer IPMI at address:623 for BMC `name` (on 127.0.0.1:target_port)."""
        if not _is_loopback(address):
            logger.warning("BMC %s set to %a, not a loopback address: not served", name, address)
            return False
        with self.lock:
            current = self.listeners.get(name)
            if current is not None and current.getsockname()[0] == address:
                return True
            if current is not None:
                self._close(current)
            listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((address, self.port))
            listener.setblocking(False)
            self.listeners[name] = listener
            state = ("in", listener, target_port, {})
            self.selector.register(listener, selectors.EVENT_READ, state)
        logger.info("BMC %s answers at %s:%d", name, address, self.port)
        return True

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            with self.lock:
                ready = self.selector.select(timeout=0) if self.listeners else []
            if not ready:
                stop.wait(0.01)
                continue
            for key, _ in ready:
                self._forward(key.data)

    def close(self) -> None:
        with self.lock:
            for listener in list(self.listeners.values()):
                self._close(listener)
            self.listeners.clear()

    def _forward(self, data) -> None:
        direction, listener, target_port, clients = data[0], data[1], data[2], data[3]
        try:
            if direction == "in":
                payload, client = listener.recvfrom(DATAGRAM)
                upstream = clients.get(client)
                if upstream is None:
                    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    upstream.connect(("127.0.0.1", target_port))
                    upstream.setblocking(False)
                    clients[client] = upstream
                    self.selector.register(
                        upstream, selectors.EVENT_READ, ("out", listener, client, upstream)
                    )
                upstream.send(payload)
            else:
                client, upstream = data[2], data[3]
                listener.sendto(upstream.recv(DATAGRAM), client)
        except OSError as error:  # a client gone, ipmi_sim restarting: drop the datagram
            logger.debug("relay: %s", error)

    def _close(self, listener: socket.socket) -> None:
        key = self.selector.get_key(listener)
        for upstream in key.data[3].values():
            self.selector.unregister(upstream)
            upstream.close()
        self.selector.unregister(listener)
        listener.close()


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.IPv4Address(address).is_loopback
    except ValueError:
        return False
