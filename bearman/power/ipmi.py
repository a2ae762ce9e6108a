"""IPMI v2.0 over LAN (lanplus) with pyghmi's RMCP+ session.

We send the four chassis commands we need ourselves rather than through
`pyghmi.ipmi.command.Command`: Command cannot choose the cipher suite, asks the BMC for
its OEM identity before every power call (a round trip per node in a sync of thousands)
and has no power cycle. pyghmi still does the RMCP+ login, integrity and encryption.

Options (`BmcTarget.options`): `cipher_suite` (17, pyghmi's default, falling back to 3;
or 3 only), `timeout` (seconds a BMC has to answer; default 10), `power_wait` (seconds
a machine has to reach the asked state; default 30).
"""

import contextlib
import time

from pyghmi import exceptions as pyghmi_errors

from . import pyghmi_compat
from .base import (
    BmcAuthenticationFailed,
    BmcError,
    BmcTarget,
    BmcTimeout,
    BmcUnreachable,
    BmcUnsupported,
    BootDevice,
    MachinePower,
    PowerDriver,
    PowerRequest,
    wait_for_power,
)

NETFN_CHASSIS = 0x00
GET_CHASSIS_STATUS = 0x01
CHASSIS_CONTROL = 0x02
SET_SYSTEM_BOOT_OPTIONS = 0x08

# IPMI 2.0 table 28-4, Chassis Control.
CHASSIS_DIRECTIVE = {
    PowerRequest.OFF: 0x00,
    PowerRequest.ON: 0x01,
    "cycle": 0x02,
    "reset": 0x03,
    PowerRequest.SOFT_OFF: 0x05,
}
# Table 28-14, boot flags parameter 5, data 2 bits 5:2.
BOOT_DEVICE_SELECTOR = {BootDevice.NETWORK: 0x04, BootDevice.DISK: 0x08}
BOOT_FLAGS_VALID_NEXT_BOOT_ONLY = 0x80
# Table 5-2 completion codes that mean "not this BMC" or "not now", in plain words.
UNSUPPORTED_CODES = {
    0xC1: "does not know the command",
    0xC9: "finds a parameter out of range",
    0xCC: "finds the request invalid",
    0xD5: "cannot do this in the machine's present state",
}
INSUFFICIENT_PRIVILEGE = 0xD4
# What pyghmi answers for a command when the BMC never answered it (not an IPMI code).
PYGHMI_TIMED_OUT = 0xFFFF
# pyghmi reports a refused login with these words (RAKP2 and RMCP+ status texts).
# pyghmi gives up on a silent BMC after about this long; our deadline allows for it.
LOGIN_ATTEMPT_SECONDS = 6
REFUSED_LOGIN_WORDS = ("Incorrect password", "Unauthorized", "privilege", "Invalid role")


class IpmiPowerDriver(PowerDriver):
    """IPMI v2.0 lanplus, one short session per call."""

    def get_power_state(self, target: BmcTarget) -> MachinePower:
        """The machine's power state from Get Chassis Status."""
        with _session(target) as ipmi:
            return _power_state(target, ipmi)

    def set_power_state(self, target: BmcTarget, state: PowerRequest) -> MachinePower:
        """On, off or ACPI soft off; waits until the machine is there."""
        want = MachinePower.ON if state == PowerRequest.ON else MachinePower.OFF
        with _session(target) as ipmi:
            if _power_state(target, ipmi) == want:
                return want
            _command(target, ipmi, CHASSIS_CONTROL, [CHASSIS_DIRECTIVE[state]], f"power {state}")
            return _wait(target, ipmi, want)

    def reset(self, target: BmcTarget) -> MachinePower:
        """Hard reset; an off machine is powered on instead."""
        return self._restart(target, "reset")

    def cycle(self, target: BmcTarget) -> MachinePower:
        """Power cycle; an off machine is powered on instead (BMCs refuse cycling it)."""
        return self._restart(target, "cycle")

    def set_boot_device(self, target: BmcTarget, device: BootDevice) -> None:
        """Set the boot flags: `device`, valid for the next boot only."""
        data = [5, BOOT_FLAGS_VALID_NEXT_BOOT_ONLY, BOOT_DEVICE_SELECTOR[device], 0, 0]
        with _session(target) as ipmi:
            _command(target, ipmi, SET_SYSTEM_BOOT_OPTIONS, data, f"boot from {device}")

    def _restart(self, target: BmcTarget, how: str) -> MachinePower:
        with _session(target) as ipmi:
            directive = how if _power_state(target, ipmi) == MachinePower.ON else PowerRequest.ON
            _command(target, ipmi, CHASSIS_CONTROL, [CHASSIS_DIRECTIVE[directive]], f"power {how}")
            return _wait(target, ipmi, MachinePower.ON)


@contextlib.contextmanager
def _session(target: BmcTarget):
    """A logged-in session for the length of one driver call, retried until `timeout`."""
    timeout = _timeout(target)
    deadline = time.monotonic() + timeout
    silent = BmcUnreachable(f"BMC {target.where} did not answer within {timeout:g} s")
    while True:
        try:
            ipmi = _bounded(target, lambda: _open(target), timeout + LOGIN_ATTEMPT_SECONDS, silent)
            break
        except pyghmi_errors.IpmiException as error:
            _raise_login_error(target, error, silent, deadline)
        except AttributeError:
            # pyghmi sometimes fails a login with its own AttributeError ('errormsg')
            # under load: drop that half-made session and log in afresh.
            pyghmi_compat.forget_target(
                target.address, target.port, target.username, target.password
            )
            if time.monotonic() >= deadline:
                raise silent from None
    try:
        yield ipmi
    finally:
        _close(target, ipmi)


def _close(target: BmcTarget, ipmi) -> None:
    """Log out, bounded like every pyghmi call: what the BMC said is kept either way."""
    try:
        pyghmi_compat.call_with_deadline(
            lambda: pyghmi_compat.close_session(ipmi), _timeout(target)
        )
    except TimeoutError:
        pyghmi_compat.forget_target(target.address, target.port, target.username, target.password)


def _open(target: BmcTarget):
    return pyghmi_compat.open_session(
        target.address,
        target.port,
        target.username,
        target.password,
        cipher_suite=int(target.option("cipher_suite", 17)),
    )


def _timeout(target: BmcTarget) -> float:
    return float(target.option("timeout", 10))


def _bounded(target: BmcTarget, call, seconds: float, silence: BmcError):
    """`call()`, given up with `silence` after `seconds` (pyghmi can wait for ever:
    pyghmi_compat, 6)."""
    try:
        return pyghmi_compat.call_with_deadline(call, seconds)
    except TimeoutError:
        pyghmi_compat.forget_target(target.address, target.port, target.username, target.password)
        raise silence from None


def _raise_login_error(target, error, silent: BmcError, deadline: float) -> None:
    """Translate a failed login; return (to try again) only while there is time left."""
    text = str(error.args[0]) if error.args and error.args[0] else ""
    if any(words in text for words in REFUSED_LOGIN_WORDS):
        raise BmcAuthenticationFailed(
            f"authentication failed for user {target.username} at BMC {target.where} ({text})"
        ) from None
    if time.monotonic() < deadline:
        return
    # pyghmi reports silence with no text, or "timeout".
    raise silent from None


def _command(target: BmcTarget, ipmi, command: int, data: list[int], what: str) -> list[int]:
    """Send one chassis command; the response data, or our exception."""

    def send():
        return ipmi.raw_command(netfn=NETFN_CHASSIS, command=command, data=data)

    stopped = BmcTimeout(f"BMC {target.where} stopped answering after login: no answer to {what}")
    try:
        response = _bounded(target, send, _timeout(target), stopped)
    except pyghmi_errors.IpmiException:
        raise stopped from None
    code = response.get("code", 0)
    if code == PYGHMI_TIMED_OUT:
        raise stopped
    if code == INSUFFICIENT_PRIVILEGE:
        raise BmcAuthenticationFailed(
            f"user {target.username} may not {what} at BMC {target.where} (privilege too low)"
        )
    if code in UNSUPPORTED_CODES:
        raise BmcUnsupported(f"BMC {target.where} {UNSUPPORTED_CODES[code]} ({what})")
    if code or "error" in response:
        raise BmcError(f"BMC {target.where} refused {what}: {response.get('error', hex(code))}")
    return list(response["data"])


def _power_state(target: BmcTarget, ipmi) -> MachinePower:
    data = _command(target, ipmi, GET_CHASSIS_STATUS, [], "power status")
    # Current power state, byte 1 bit 0: "system power is on".
    return MachinePower.ON if data[0] & 0x01 else MachinePower.OFF


def _wait(target: BmcTarget, ipmi, want: MachinePower) -> MachinePower:
    return wait_for_power(
        target,
        lambda: _power_state(target, ipmi),
        want,
        seconds=float(target.option("power_wait", 30)),
        interval=0.5,
    )
