"""Where we work around pyghmi 1.6.19 (pinned), each fix with a test in tests/bearman/power.

These are the client's fixes, what the worker's IPMI driver needs. The items about
pyghmi's BMC *server* (1, 2, 5, 8 and 11) live outside the product with the virtual
BMCs, in `lab/pyghmi_server.py`; the two modules share one numbering.

3. After `logout()`, pyghmi keeps the dead session in a class-level cache keyed by
   (address, user, password, port, kg): the next session to the same BMC in the same
   process is handed the dead one and fails with `'<' not supported between 'float' and
   'NoneType'`. `close_session` logs out and purges it.
4. pyghmi's client always proposes suite 17 first. `open_session` can go straight to
   suite 3, which saves a round trip with BMCs (and simulators) that know only suite 3.
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
12. A thread waiting for a packet queues itself for pyghmi's I/O thread *after* sending,
   so an answer read in between (a fast BMC on the same host) wakes nobody: about one
   call in thirty waited for a retry (0.5 to 1 s). `wait_without_missing_packets`
   looks, once queued, whether the packet is already here (done on import).
13. A login that times out leaves its session in pyghmi's `initting_sessions` (filed under
   str credentials, removed under bytes: 6), already broken. The next session to that BMC
   is handed that broken one, and pyghmi's constructor returns it without a word: the
   login "succeeded" and the first command failed with "Session no longer connected", so
   a BMC that never answered read as one that stopped answering after login.
   `open_session` returns only a session that is logged in, and drops any other.
"""

import socket
import threading

from pyghmi import exceptions as pyghmi_errors
from pyghmi.ipmi.private import session

SUPPORTED_CIPHER_SUITES = (3, 17)

# pyghmi's session cache is shared by every thread of the process (and, in a virtual BMC
# process, by its BMCs: lab/pyghmi_server.py takes it too).
cache_lock = threading.Lock()


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
    ipmi_session = kind(bmc=address, userid=username, password=password, port=port)
    if not ipmi_session.logged:  # a broken session from an earlier failed login (13)
        forget_target(address, port, username, password)
        _purge(ipmi_session)
        # Not that login's error: it may have been refused while the agent was still
        # setting the user up. The caller logs in afresh while its time lasts.
        raise pyghmi_errors.IpmiException("timeout")
    return ipmi_session


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
    with cache_lock:
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
    with cache_lock:
        for key, cached in list(session.Session.initting_sessions.items()):
            if cached is ipmi_session:
                del session.Session.initting_sessions[key]
        for sockaddr, by_port in list(session.Session.bmc_handlers.items()):
            for port, cached in list(by_port.items()):
                if cached is ipmi_session:
                    del by_port[port]
            if not by_port and isinstance(sockaddr, tuple):
                del session.Session.bmc_handlers[sockaddr]
