"""IpmiPowerDriver over real UDP against virtual BMCs, checked with ipmitool."""

import socket
import subprocess
import sys
import time
from types import MappingProxyType

import pytest
from pyghmi.ipmi.private import session

from bearman.power import (
    BmcAuthenticationFailed,
    BmcTarget,
    BmcUnreachable,
    BootDevice,
    MachinePower,
    PowerRequest,
    pyghmi_compat,
)
from bearman.power.ipmi import IpmiPowerDriver
from bearman.power.pyghmi_compat import MAX_SOCKETS_PER_PROCESS

from .helpers import (
    PASSWORD,
    ROOT,
    USER,
    free_port_range,
    ipmitool,
    stop_process,
    virtual_bmcs,
)

DRIVER = IpmiPowerDriver()


@pytest.fixture(scope="module")
def bmc_port():
    with virtual_bmcs(4) as base_port:
        yield base_port


def target(port, *, user=USER, password=PASSWORD, **options) -> BmcTarget:
    return BmcTarget("127.0.0.1", port, user, password, MappingProxyType(options))


def test_power_on_off_and_status(bmc_port):
    assert DRIVER.get_power_state(target(bmc_port)) == MachinePower.OFF
    assert DRIVER.set_power_state(target(bmc_port), PowerRequest.ON) == MachinePower.ON
    assert ipmitool(bmc_port, "chassis", "power", "status").strip() == "Chassis Power is on"
    assert DRIVER.get_power_state(target(bmc_port)) == MachinePower.ON
    assert DRIVER.set_power_state(target(bmc_port), PowerRequest.OFF) == MachinePower.OFF
    assert ipmitool(bmc_port, "chassis", "power", "status").strip() == "Chassis Power is off"


def test_soft_off_reset_and_cycle(bmc_port):
    port = bmc_port + 1
    assert DRIVER.reset(target(port)) == MachinePower.ON  # an off machine is powered on
    assert DRIVER.reset(target(port)) == MachinePower.ON
    assert DRIVER.cycle(target(port)) == MachinePower.ON
    assert DRIVER.set_power_state(target(port), PowerRequest.SOFT_OFF) == MachinePower.OFF
    assert DRIVER.cycle(target(port)) == MachinePower.ON
    assert ipmitool(port, "chassis", "power", "status").strip() == "Chassis Power is on"


@pytest.mark.parametrize(
    ("device", "shown"), [("network", "Force PXE"), ("disk", "Force Boot from default Hard-Drive")]
)
def test_next_boot_device(bmc_port, device, shown):
    DRIVER.set_boot_device(target(bmc_port + 2), BootDevice(device))
    flags = ipmitool(bmc_port + 2, "chassis", "bootparam", "get", "5")
    assert f"Boot Device Selector : {shown}" in flags
    assert "Options apply to only next boot" in flags


@pytest.mark.parametrize("suite", [3, 17])
def test_both_cipher_suites_reach_a_suite_3_bmc(bmc_port, suite):
    # Suite 17 is refused by the BMC (pyghmi_compat, 1) and the client falls back to 3.
    assert DRIVER.get_power_state(target(bmc_port + 3, cipher_suite=suite)) == MachinePower.OFF


def test_back_to_back_calls_to_one_bmc_each_get_a_fresh_session(bmc_port):
    # Without pyghmi_compat's purge the second call is handed the logged-out session.
    for _ in range(5):
        assert DRIVER.get_power_state(target(bmc_port + 3)) == MachinePower.OFF


def test_wrong_password_is_refused_in_plain_words(bmc_port):
    start = time.monotonic()
    with pytest.raises(BmcAuthenticationFailed, match="authentication failed for user admin"):
        DRIVER.get_power_state(target(bmc_port, password="not-the-password"))
    assert time.monotonic() - start < 2


def test_unknown_user_is_refused_at_once(bmc_port):
    start = time.monotonic()
    with pytest.raises(BmcAuthenticationFailed, match="user nobody"):
        DRIVER.get_power_state(target(bmc_port, user="nobody"))
    assert time.monotonic() - start < 2  # pyghmi_compat, 2: no waiting for retries


def test_nothing_listening_fails_within_a_bounded_time():
    port = free_port_range(1)
    start = time.monotonic()
    with pytest.raises(BmcUnreachable) as raised:
        DRIVER.get_power_state(target(port, timeout=2))
    assert str(raised.value) == f"BMC 127.0.0.1:{port} did not answer within 2 s"
    assert time.monotonic() - start < 12


def test_more_bmcs_than_one_process_can_select_on():
    # pyghmi_compat, 5: over MAX_SOCKETS_PER_PROCESS the BMCs spread over processes.
    count = MAX_SOCKETS_PER_PROCESS + 20
    with virtual_bmcs(count) as base_port:
        for port in (base_port, base_port + count - 1):
            assert DRIVER.set_power_state(target(port), PowerRequest.ON) == MachinePower.ON


LATE_BMC = """
import sys, threading, time
from bearman.power.virtual_bmc import VirtualBmc
from pyghmi.ipmi.private import session
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
VirtualBmc(address="127.0.0.2", port=port, username=user, password=password)
threading.Thread(target=lambda: [session.Session.wait_for_rsp(0.2) for _ in iter(int, 1)],
                 daemon=True).start()
time.sleep(1)  # the I/O loop is asleep in select() by now
VirtualBmc(address="127.0.0.3", port=port, username=user, password=password)
print("Serving", flush=True)
time.sleep(60)
"""


def test_a_bmc_added_while_the_loop_waits_answers_at_once():
    # pyghmi_compat, 8: the first BMC is on 127.0.0.2, where the I/O thread's wake-ups
    # never arrived, so a BMC bound later stayed deaf until the first one got a packet.
    port = free_port_range(1)
    process = subprocess.Popen(
        [sys.executable, "-c", LATE_BMC, str(port), USER, PASSWORD],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("Serving")
        start = time.monotonic()
        status = ipmitool(port, "chassis", "power", "status", address="127.0.0.3")
        assert status.strip() == "Chassis Power is off"
        assert time.monotonic() - start < 3
    finally:
        stop_process(process)


class SwitchedBackToBlocking(socket.socket):
    """A socket that another thread's send puts back in blocking mode at once."""

    def setblocking(self, flag):
        super().setblocking(True)


def test_the_io_loop_never_blocks_on_a_socket_another_thread_left_blocking():
    # pyghmi_compat, 9: pyghmi switches a socket to non-blocking, then reads it; a send
    # from another thread in between made that read block, and with it the I/O loop.
    with SwitchedBackToBlocking(socket.AF_INET, socket.SOCK_DGRAM) as idle:
        idle.bind(("127.0.0.1", 0))
        received = pyghmi_compat.call_with_deadline(lambda: session._io_graball([idle], {}), 2)
    assert received == []
