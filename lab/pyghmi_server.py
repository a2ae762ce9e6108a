"""pyghmi 1.6.19's BMC *server*, fixed for our virtual BMCs (`lab.virtual_bmc`, the labs).

The client's fixes, which the worker needs, are in `bearman.power.pyghmi_compat`; the
two modules share one numbering, and importing this one applies that one's too (9, 10
and 12 fix pyghmi's I/O loop, which a server process runs as well). Each fix has a test
in tests/bearman/power.

1. pyghmi's BMC server (`pyghmi.ipmi.bmc.Bmc`) answers every RMCP+ open-session request
   with cipher suite 3 (HMAC-SHA1, AES), whatever the client proposed. ipmitool copes;
   pyghmi's own client proposes suite 17 (SHA-256) first, takes the answer as agreement
   and dies in RAKP2 (`struct.error: pack expected 32 items`). `Suite3ServerSession`
   refuses any proposal but suite 3 with RMCP+ status 0x11, as a real suite-3-only BMC
   does, and pyghmi's client falls back to suite 3.
2. The same server drops RAKP1 for an unknown user, so a client waits for its retries to
   run out and reports a timeout. `Suite3ServerSession` answers RAKP2 with 0x0d
   ("unauthorized name") at once, as real BMCs do.
5. pyghmi's I/O loop uses select(), which fails for file descriptors above 1024. A client
   shares one UDP socket among 64 BMCs, so a worker is safe; a server binds one socket
   per BMC, so `lab.virtual_bmc` spreads large counts over processes of at
   most `MAX_SOCKETS_PER_PROCESS` BMCs each.
8. pyghmi's I/O thread sleeps in select() for up to 300 s and is woken by a packet sent
   to its first socket at `myself` (::1 or 127.0.0.1). When that first socket is a BMC's
   bound to another address (the lab's BMCs live at 127.1.x.y), the wake-up goes nowhere:
   a BMC added after the loop started is deaf until a packet reaches an earlier one.
   `CompatBmc` gives a process's I/O loop a first socket of its own, bound to every
   address, before its first BMC binds.
11. pyghmi's BMC server files a client's session under (client address, BMC port), and
   never drops it (its `close_server_session` does nothing). BMCs on different addresses
   with the same port (the lab's: every one on 623) share that key: a client that talked
   to BMC A and then, from the same socket, to BMC B had B's packets handed to A's stale
   session, answered from A's address and ignored, and every such login waited for a
   retry (0.5 to 1 s: the lab's power operations took 0.8 s each instead of 20 ms); two
   sessions at once from one client socket would take each other's packets. Here the key
   holds a `_SessionsOnOnePort` that hands each packet to the session of the BMC whose
   socket received it, and a closed session is dropped.
"""

import collections

from pyghmi.ipmi import bmc as pyghmi_bmc
from pyghmi.ipmi.private import constants, serversession, session

from bearman.power.pyghmi_compat import cache_lock

# Well under select()'s FD_SETSIZE of 1024, leaving room for the process's other files.
MAX_SOCKETS_PER_PROCESS = 500

# The three RMCP+ algorithm payloads of suite 3: HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128.
SUITE_3_PROPOSAL = bytes([0, 0, 0, 8, 1, 0, 0, 0, 1, 0, 0, 8, 1, 0, 0, 0, 2, 0, 0, 8, 1, 0, 0, 0])
RMCP_NO_CIPHER_SUITE_MATCH = 0x11
RMCP_UNAUTHORIZED_NAME = 0x0D


class _SessionsOnOnePort:
    """One client's sessions with the BMCs of one port, told apart by the BMC's socket (11).

    Stands where pyghmi files a single server session: its I/O thread queues a client's
    packets here, and each goes to the session of the BMC whose socket received it, or to
    that BMC itself when it has no session with this client.
    """

    logged = logging = False  # never taken for a client session of this process

    def __init__(self):
        self.by_socket = {}
        self.pktqueue = collections.deque()

    def process_pktqueue(self):
        while self.pktqueue:
            packet = self.pktqueue.popleft()
            receiver = self.by_socket.get(packet[2])
            if receiver is None:
                receiver = session.Session.bmc_handlers[packet[2]][0]
            receiver.pktqueue.append(packet)
            receiver.process_pktqueue()

    def logout(self, *args):
        """pyghmi logs every filed session out when its I/O thread stops: nothing to do."""


class _ClientHandlers(dict):
    """A client's entry in pyghmi's handler table: server sessions filed per BMC socket."""

    def __setitem__(self, port, handler):
        if not isinstance(handler, Suite3ServerSession):
            super().__setitem__(port, handler)
            return
        sessions = self.get(port)
        if not isinstance(sessions, _SessionsOnOnePort):
            sessions = _SessionsOnOnePort()
            super().__setitem__(port, sessions)
        sessions.by_socket[handler.socket] = handler


class Suite3ServerSession(serversession.ServerSession):
    """pyghmi's server session, speaking only cipher suite 3 and refusing unknown users."""

    def __init__(self, authdata, kg, clientaddr, netsocket, request, uuid, bmc):
        handlers = session.Session.bmc_handlers
        if not isinstance(handlers.get(clientaddr), _ClientHandlers):
            handlers[clientaddr] = _ClientHandlers(handlers.get(clientaddr) or {})
        super().__init__(authdata, kg, clientaddr, netsocket, request, uuid, bmc)

    def close_server_session(self):
        self._forget()

    def _forget(self):
        """Drop this session from pyghmi's handler table (the client closed it, or left)."""
        handlers = session.Session.bmc_handlers.get(self.sockaddr, {})
        sessions = handlers.get(self.bmc.port)
        if isinstance(sessions, _SessionsOnOnePort) and sessions.by_socket.get(self.socket) is self:
            del sessions.by_socket[self.socket]
            if not sessions.by_socket:
                handlers.pop(self.bmc.port, None)
        if not handlers:
            session.Session.bmc_handlers.pop(self.sockaddr, None)

    def create_open_session_response(self, request):
        if bytes(request[8:32]) == SUITE_3_PROPOSAL:
            return super().create_open_session_response(request)
        self.clientsessionid = bytes(request[4:8])
        return bytearray([request[0], RMCP_NO_CIPHER_SUITE_MATCH, 0, 0]) + self.clientsessionid

    def _handle_ipmi_packet(self, data, sockaddr=None, qent=None):
        if _is_sessionless_ipmi15(data) and qent is not None:
            # A new client on a recycled address:port. pyghmi drops the sessions of that
            # address with *every* BMC of the process, breaking other clients' logins
            # that share the client's socket (pyghmi clients put 64 BMCs on one socket);
            # drop only ours and hand the packet to our BMC.
            self._forget()
            self.bmc.pktqueue.append(qent)
            self.bmc.process_pktqueue()
            return None
        return super()._handle_ipmi_packet(data, sockaddr, qent)

    def _got_rakp1(self, data):
        username = bytes(data[28 : 28 + data[27]]).decode("utf-8", "replace")
        if self.authdata.get(username) is None:
            refusal = bytearray([data[0], RMCP_UNAUTHORIZED_NAME, 0, 0]) + self.clientsessionid
            self.send_payload(refusal, constants.payload_types["rakp2"], retry=False)
            return
        super()._got_rakp1(data)


class CompatBmc(pyghmi_bmc.Bmc):
    """pyghmi's BMC server with the session fixes above."""

    def __init__(self, *args, **kwargs):
        with cache_lock:
            if not session.iosockets:
                session.Session._assignsocket()  # item 8: hears the I/O thread's wake-ups
        super().__init__(*args, **kwargs)

    def sessionless_data(self, data, sockaddr):
        packet = bytearray(data)
        if _is_open_session_request(packet):
            Suite3ServerSession(
                self.authdata, self.kg, sockaddr, self.serversocket, packet[16:], self.uuid, self
            )
            return
        super().sessionless_data(data, sockaddr)


def _is_sessionless_ipmi15(data) -> bool:
    # IPMI 1.5 header (auth type 0 or 2) with sequence number and session id both zero.
    return data[4] in (0, 2) and bytes(data[5:13]) == bytes(8)


def _is_open_session_request(packet: bytearray) -> bool:
    # RMCP, IPMI class, auth type 6 (RMCP+), payload type 0x10 (open session request).
    return (
        len(packet) >= 22
        and packet[0] == 6
        and packet[2:4] == b"\xff\x07"
        and packet[4] == 6
        and packet[5] == 0x10
    )
