"""Where we work around pyghmi 1.6.19 (pinned), each fix with a test in tests/bearman/power.

1. pyghmi's BMC server (`pyghmi.ipmi.bmc.Bmc`) answers every RMCP+ open-session request
   with cipher suite 3 (HMAC-SHA1, AES), whatever the client proposed. ipmitool copes;
   pyghmi's own client proposes suite 17 (SHA-256) first, takes the answer as agreement
   and dies in RAKP2 (`struct.error: pack expected 32 items`). `Suite3ServerSession`
   refuses any proposal but suite 3 with RMCP+ status 0x11, as a real suite-3-only BMC
   does, and pyghmi's client falls back to suite 3.
2. The same server drops RAKP1 for an unknown user, so a client waits for its retries to
   run out and reports a timeout. `Suite3ServerSession` answers RAKP2 with 0x0d
   ("unauthorized name") at once, as real BMCs do.
3. After `logout()`, pyghmi keeps the dead session in a class-level cache keyed by
   (address, user, password, port, kg): the next session to the same BMC in the same
   process is handed the dead one and fails with `'<' not supported between 'float' and
   'NoneType'`. `close_session` logs out and purges it.
4. pyghmi's client always proposes suite 17 first. `open_session` can go straight to
   suite 3, which saves a round trip with BMCs (and simulators) that know only suite 3.
5. pyghmi's I/O loop uses select(), which fails for file descriptors above 1024. A client
   shares one UDP socket among 64 BMCs, so a worker is safe; a server binds one socket
   per BMC, so `bearman.power.virtual_bmc` spreads large counts over processes of at
   most `MAX_SOCKETS_PER_PROCESS` BMCs each.
6. When a BMC drops or delays packets under load, pyghmi's client can loop for ever in
   its login or command wait. `call_with_deadline` runs each pyghmi call in a daemon
   thread and gives up on it after a deadline; `forget_target` then drops the stuck
   session from the cache, so the next call to that BMC starts a new one.
7. A process that logged in again to BMCs it had talked to many sessions before (a second
   power-state sync in one worker process) found a fifth of them silent until its
   deadline, so workers ran one task per pool process. Not seen again since items 9 to
   12 were fixed (the likely causes): one process asked 1,000 virtual BMCs six times
   over (6,000 sessions, four processes) with no silent BMC and no wrong state, and
   workers keep their pool processes again (BEARMAN_WORKER_MAX_TASKS_PER_CHILD). A test
   runs syncs round after round in one process.
8. pyghmi's I/O thread sleeps in select() for up to 300 s and is woken by a packet sent
   to its first socket at `myself` (::1 or 127.0.0.1). When that first socket is a BMC's
   bound to another address (the lab's BMCs live at 127.1.x.y), the wake-up goes nowhere:
   a BMC added after the loop started is deaf until a packet reaches an earlier one.
   `CompatBmc` gives a process's I/O loop a first socket of its own, bound to every
   address, before its first BMC binds.
9. pyghmi's I/O thread reads with `setblocking(0)` then `recvfrom()`, while any thread
   that sends first calls `setblocking(1)` on the same socket. When a send falls between
   the two, the I/O thread blocks in `recvfrom()` on a socket with nothing to read and
   every other socket of the process goes unserved: a virtual BMC process serving
   hundreds of BMCs fell silent for good (the lab under 200 machines, the power
   benchmark), and a client's sessions timed out. `recvfrom` with MSG_DONTWAIT never
   blocks, whatever the socket's mode (`read_without_blocking`, done on import).
10. pyghmi takes its two module locks in opposite orders: `send_payload` holds the
   keepalive lock while `_xmit_packet` takes the waiting lock, and `wait_for_rsp` holds
   the waiting lock while a timed-out session resends (`_timedout` → `send_payload` →
   the keepalive lock). Two threads with sessions in flight (the power sync asks many
   BMCs at once) deadlock for good as soon as one packet is retried. One re-entrant
   lock serves as both here (`share_session_locks`, done on import).
11. pyghmi's BMC server files a client's session under (client address, BMC port), and
   never drops it (its `close_server_session` does nothing). BMCs on different addresses
   with the same port (the lab's: every one on 623) share that key: a client that talked
   to BMC A and then, from the same socket, to BMC B had B's packets handed to A's stale
   session, answered from A's address and ignored, and every such login waited for a
   retry (0.5 to 1 s: the lab's power operations took 0.8 s each instead of 20 ms); two
   sessions at once from one client socket would take each other's packets. Here the key
   holds a `_SessionsOnOnePort` that hands each packet to the session of the BMC whose
   socket received it, and a closed session is dropped.
12. A thread waiting for a packet queues itself for pyghmi's I/O thread *after* sending,
   so an answer read in between (a fast BMC on the same host) wakes nobody: about one
   call in thirty waited for a retry (0.5 to 1 s). `wait_without_missing_packets`
   looks, once queued, whether the packet is already here (done on import).
"""

import collections
import socket
import threading

from pyghmi import exceptions as pyghmi_errors
from pyghmi.ipmi import bmc as pyghmi_bmc
from pyghmi.ipmi.private import constants, serversession, session

# Well under select()'s FD_SETSIZE of 1024, leaving room for the process's other files.
MAX_SOCKETS_PER_PROCESS = 500

# The three RMCP+ algorithm payloads of suite 3: HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128.
SUITE_3_PROPOSAL = bytes([0, 0, 0, 8, 1, 0, 0, 0, 1, 0, 0, 8, 1, 0, 0, 0, 2, 0, 0, 8, 1, 0, 0, 0])
RMCP_NO_CIPHER_SUITE_MATCH = 0x11
RMCP_UNAUTHORIZED_NAME = 0x0D
SUPPORTED_CIPHER_SUITES = (3, 17)

# pyghmi's session cache is shared by every thread of the process.
_cache_lock = threading.Lock()


def share_session_locks() -> None:
    """One lock for pyghmi's keepalive and waiting tables: no lock-order deadlock (10)."""
    # pyghmi looks both names up in its module on every use.
    session.WAITING_SESSIONS = session.KEEPALIVE_SESSIONS


def read_without_blocking() -> None:
    """pyghmi's I/O thread reads without ever blocking, whatever a sender did (9)."""

    def recvfrom(sock, size):
        try:
            return sock.recvfrom(size, socket.MSG_DONTWAIT)
        except OSError:  # nothing waiting (EAGAIN), or an ICMP error: as pyghmi's own
            return None

    session._io_recvfrom = recvfrom  # looked up in pyghmi's module on every read


def wait_without_missing_packets() -> None:
    """pyghmi's `_io_wait`, which also returns for a packet read before it queued (12)."""

    def io_wait(timeout, myaddr=None, evq=None):
        woken = threading.Event()
        if evq is not None:
            evq.append(woken)
        deadline = timeout + session._monotonic_time()
        session.ioqueue.append((deadline, woken, myaddr))
        if deadline < session.selectdeadline:
            wake_up = session.iosockets[0]
            wake_up.sendto(b"\x01", (session.myself, wake_up.getsockname()[1]))
        if not _packet_waiting(myaddr):
            woken.wait()

    session._io_wait = io_wait  # looked up in pyghmi's module on every wait


def _packet_waiting(sender) -> bool:
    """Whether the I/O thread has read a packet (from `sender`, if given) nobody handled yet."""
    if sender is None:
        return bool(session.sessionqueue)
    handlers = session.Session.bmc_handlers.get(sender, {})
    return any(getattr(handler, "pktqueue", None) for handler in list(handlers.values()))


share_session_locks()
read_without_blocking()
wait_without_missing_packets()


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
        with _cache_lock:
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


class Suite3Session(session.Session):
    """A client session that proposes suite 3 straight away."""

    def _initsession(self):
        super()._initsession()
        self.attemptedhash = 1  # pyghmi's marker for "propose SHA-1, i.e. suite 3"


def open_session(
    address: str, port: int, username: str, password: str, *, cipher_suite: int
) -> session.Session:
    """A logged-in pyghmi session; raises pyghmi's exceptions (the driver translates)."""
    if cipher_suite not in SUPPORTED_CIPHER_SUITES:
        raise ValueError(f"cipher suite must be one of {SUPPORTED_CIPHER_SUITES}")
    kind = Suite3Session if cipher_suite == 3 else session.Session
    return kind(bmc=address, userid=username, password=password, port=port)


def call_with_deadline(function, seconds: float):
    """`function()`, or TimeoutError when it has not returned within `seconds`."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except Exception as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="pyghmi-call", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def forget_target(address: str, port: int, username: str, password: str) -> None:
    """Drop every cached session to this BMC as this user (after a stuck call)."""
    # pyghmi files a new session under str credentials but looks for bytes when it
    # gives up on one: drop both spellings.
    keys = [(address, username, password, port, None)]
    keys.append((address, username.encode(), password.encode(), port, None))
    with _cache_lock:
        stuck = [session.Session.initting_sessions.pop(key, None) for key in keys]
        matching = [
            cached
            for by_port in session.Session.bmc_handlers.values()
            for cached in by_port.values()
            if getattr(cached, "bmc", None) == address and getattr(cached, "port", None) == port
        ]
    for cached in [*stuck, *matching]:
        if cached is not None:
            _purge(cached)


def close_session(ipmi_session: session.Session) -> None:
    """Log out and drop the session from pyghmi's cache, so the next one starts afresh."""
    try:
        ipmi_session.logout()
    except pyghmi_errors.IpmiException:
        pass  # a session that broke (a BMC gone silent) is dropped all the same
    finally:
        _purge(ipmi_session)


def _purge(ipmi_session: session.Session) -> None:
    with _cache_lock:
        for key, cached in list(session.Session.initting_sessions.items()):
            if cached is ipmi_session:
                del session.Session.initting_sessions[key]
        for sockaddr, by_port in list(session.Session.bmc_handlers.items()):
            for port, cached in list(by_port.items()):
                if cached is ipmi_session:
                    del by_port[port]
            if not by_port and isinstance(sockaddr, tuple):
                del session.Session.bmc_handlers[sockaddr]
