"""RedfishPowerDriver against sushy-tools' emulator over HTTPS, with basic auth."""

import socket
import time
from types import MappingProxyType

import pytest

from bearman.power import (
    BmcAuthenticationFailed,
    BmcError,
    BmcTarget,
    BmcUnreachable,
    BootDevice,
    MachinePower,
    PowerRequest,
)
from bearman.power.redfish import RedfishPowerDriver

from .helpers import PASSWORD, USER, free_port_range, redfish_emulator, redfish_system

DRIVER = RedfishPowerDriver()
FIRST = "5b3c6f0e-8a8e-4b1e-9d5e-0a7c4b3c2d11"
SECOND = "5b3c6f0e-8a8e-4b1e-9d5e-0a7c4b3c2d22"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with redfish_emulator(tmp_path_factory.mktemp("redfish"), [FIRST, SECOND]) as running:
        yield running


def target(emulator, *, password=PASSWORD, **options) -> BmcTarget:
    port, cert = emulator
    options = {"verify_tls": str(cert), "system_id": FIRST, "power_wait": 30, **options}
    return BmcTarget("127.0.0.1", port, USER, password, MappingProxyType(options))


def emulated_power(emulator, system=FIRST) -> str:
    return redfish_system(*emulator, system)["PowerState"]


def test_power_on_reset_off_and_status(emulator):
    # The emulator applies a power change 1-11 s later, as real hardware takes its time.
    assert DRIVER.get_power_state(target(emulator)) == MachinePower.OFF
    assert DRIVER.set_power_state(target(emulator), PowerRequest.ON) == MachinePower.ON
    assert emulated_power(emulator) == "On"
    assert DRIVER.reset(target(emulator)) == MachinePower.ON
    assert DRIVER.set_power_state(target(emulator), PowerRequest.OFF) == MachinePower.OFF
    assert emulated_power(emulator) == "Off"


def test_next_boot_from_network_once(emulator):
    DRIVER.set_boot_device(target(emulator, system_id=SECOND), BootDevice.NETWORK)
    assert redfish_system(*emulator, SECOND)["Boot"]["BootSourceOverrideTarget"] == "Pxe"


def test_wrong_password_is_refused_in_plain_words(emulator):
    with pytest.raises(BmcAuthenticationFailed, match="authentication failed for user admin"):
        DRIVER.get_power_state(target(emulator, password="not-the-password"))


def test_an_untrusted_certificate_is_refused_unless_verification_is_off(emulator):
    with pytest.raises(BmcAuthenticationFailed, match="TLS certificate .* is not trusted"):
        DRIVER.get_power_state(target(emulator, verify_tls=True))
    assert DRIVER.get_power_state(target(emulator, verify_tls=False)) in set(MachinePower)


def test_the_system_must_be_named_when_there_are_several(emulator):
    with pytest.raises(BmcError, match="lists 2 systems .*set the node's Redfish system id"):
        DRIVER.get_power_state(target(emulator, system_id=None))
    with pytest.raises(BmcError, match="has no system nope"):
        DRIVER.get_power_state(target(emulator, system_id="nope"))


def test_nothing_listening_fails_at_once_with_a_clear_error(emulator):
    port = free_port_range(1, kind=socket.SOCK_STREAM)
    start = time.monotonic()
    with pytest.raises(BmcUnreachable, match=f"BMC 127.0.0.1:{port} refused the connection"):
        DRIVER.get_power_state(BmcTarget("127.0.0.1", port, USER, PASSWORD))
    assert time.monotonic() - start < 5
