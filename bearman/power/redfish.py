"""Redfish over HTTPS with sushy.

Options (`BmcTarget.options`): `system_id` (the ComputerSystem's Id; default: the only
system the BMC lists), `verify_tls` (true, false, or a CA bundle path; default true),
`timeout` (seconds for each HTTP request; default 10), `power_wait` (seconds a machine
has to reach the asked state; default 60).
"""

import contextlib

import sushy
from sushy import exceptions as sushy_errors
from sushy.auth import BasicAuth

from .base import (
    BmcAuthenticationFailed,
    BmcError,
    BmcTarget,
    BmcUnreachable,
    BmcUnsupported,
    BootDevice,
    MachinePower,
    PowerDriver,
    PowerRequest,
    wait_for_power,
)

# Redfish PowerState → ours. Transitional states count as where they are heading, as
# Ironic does; waits compare against the settled states only.
POWER_STATES = {
    sushy.PowerState.ON: MachinePower.ON,
    sushy.PowerState.POWERING_ON: MachinePower.ON,
    sushy.PowerState.OFF: MachinePower.OFF,
    sushy.PowerState.POWERING_OFF: MachinePower.OFF,
}
SETTLED = {sushy.PowerState.ON: MachinePower.ON, sushy.PowerState.OFF: MachinePower.OFF}
RESET_TYPES = {
    PowerRequest.ON: sushy.ResetType.ON,
    PowerRequest.OFF: sushy.ResetType.FORCE_OFF,
    PowerRequest.SOFT_OFF: sushy.ResetType.GRACEFUL_SHUTDOWN,
}
BOOT_SOURCES = {BootDevice.NETWORK: sushy.BootSource.PXE, BootDevice.DISK: sushy.BootSource.HDD}


class RedfishPowerDriver(PowerDriver):
    """Redfish ComputerSystem power and boot override."""

    def get_power_state(self, target: BmcTarget) -> MachinePower:
        """The system's PowerState."""
        with _system(target) as system:
            return _power_state(target, system)

    def set_power_state(self, target: BmcTarget, state: PowerRequest) -> MachinePower:
        """On, ForceOff or GracefulShutdown; waits until the system is there."""
        want = MachinePower.ON if state == PowerRequest.ON else MachinePower.OFF
        with _system(target) as system:
            if _settled_state(target, system) == want:
                return want
            _reset(target, system, RESET_TYPES[state])
            return _wait(target, system, want)

    def reset(self, target: BmcTarget) -> MachinePower:
        """ForceRestart; an off system is powered on instead."""
        with _system(target) as system:
            if _settled_state(target, system) == MachinePower.ON:
                _reset(target, system, sushy.ResetType.FORCE_RESTART)
            else:
                _reset(target, system, sushy.ResetType.ON)
            return _wait(target, system, MachinePower.ON)

    def cycle(self, target: BmcTarget) -> MachinePower:
        """PowerCycle where offered, else ForceOff then On; an off system is powered on."""
        with _system(target) as system:
            if _settled_state(target, system) == MachinePower.ON:
                if sushy.ResetType.POWER_CYCLE in _allowed(target, system):
                    _reset(target, system, sushy.ResetType.POWER_CYCLE)
                else:
                    _reset(target, system, sushy.ResetType.FORCE_OFF)
                    _wait(target, system, MachinePower.OFF)
                    _reset(target, system, sushy.ResetType.ON)
            else:
                _reset(target, system, sushy.ResetType.ON)
            return _wait(target, system, MachinePower.ON)

    def set_boot_device(self, target: BmcTarget, device: BootDevice) -> None:
        """Boot source override to `device`, once."""
        with _system(target) as system, _translated(target, f"boot from {device}"):
            system.set_system_boot_options(
                target=BOOT_SOURCES[device], enabled=sushy.BootSourceOverrideEnabled.ONCE
            )


@contextlib.contextmanager
def _system(target: BmcTarget):
    """The target's ComputerSystem, with the HTTP session closed afterwards."""
    timeout = float(target.option("timeout", 10))
    with _translated(target, "connecting"):
        root = sushy.Sushy(
            f"https://{target.where}",
            auth=BasicAuth(target.username, target.password),
            verify=_verify(target.option("verify_tls", True)),
            read_timeout=timeout,
            connect_timeout=timeout,
            # One try per call: the Celery task owns retries.
            server_side_retries=1,
            server_side_retries_delay=1,
        )
    try:
        with _translated(target, "finding the system"):
            system = root.get_system(_system_path(target, root))
        yield system
    finally:
        root._conn.close()  # sushy has no public close; its connector holds the HTTP pool


def _system_path(target: BmcTarget, root) -> str:
    members = sorted(root.get_system_collection().members_identities)
    system_id = target.option("system_id", "")
    if system_id:
        for path in members:
            if path.rstrip("/").rsplit("/", 1)[-1] == system_id:
                return path
        raise BmcError(f"BMC {target.where} has no system {system_id} (it has {_ids(members)})")
    if len(members) != 1:
        raise BmcError(
            f"BMC {target.where} lists {len(members)} systems ({_ids(members)}): "
            "set the node's Redfish system id"
        )
    return members[0]


def _ids(paths) -> str:
    return ", ".join(path.rstrip("/").rsplit("/", 1)[-1] for path in paths) or "none"


def _verify(value) -> bool | str:
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


@contextlib.contextmanager
def _translated(target: BmcTarget, what: str):
    """sushy's exceptions as ours, in plain words."""
    try:
        yield
    except sushy_errors.AccessError:
        raise BmcAuthenticationFailed(
            f"authentication failed for user {target.username} at BMC {target.where}"
        ) from None
    except sushy_errors.ConnectionError as error:
        raise _connection_error(target, error) from None
    except (sushy_errors.MissingActionError, sushy_errors.InvalidParameterValueError) as error:
        raise BmcUnsupported(f"BMC {target.where} cannot do {what}: {error}") from None
    except sushy_errors.HTTPError as error:
        raise BmcError(
            f"BMC {target.where} refused {what} (HTTP {error.status_code}: {error.detail})"
        ) from None
    except sushy_errors.SushyError as error:
        raise BmcError(f"BMC {target.where} answered {what} with nonsense: {error}") from None


def _connection_error(target: BmcTarget, error) -> BmcError:
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text:
        return BmcAuthenticationFailed(
            f"the TLS certificate of BMC {target.where} is not trusted (set verify_tls to a "
            "CA bundle, or to false for a lab BMC)"
        )
    if "timed out" in text.lower() or "Timeout" in text:
        seconds = float(target.option("timeout", 10))
        return BmcUnreachable(f"BMC {target.where} did not answer within {seconds:g} s")
    if "refused" in text.lower():
        return BmcUnreachable(f"BMC {target.where} refused the connection (nothing listening)")
    return BmcUnreachable(f"BMC {target.where} could not be reached: {text}")


def _power_state(target: BmcTarget, system) -> MachinePower:
    with _translated(target, "power status"):
        system.refresh()
    try:
        return POWER_STATES[system.power_state]
    except KeyError:
        raise BmcUnsupported(
            f"BMC {target.where} reports power state {system.power_state!r}"
        ) from None


def _settled_state(target: BmcTarget, system) -> MachinePower | None:
    with _translated(target, "power status"):
        system.refresh()
    return SETTLED.get(system.power_state)


def _allowed(target: BmcTarget, system) -> set:
    with _translated(target, "listing its reset types"):
        return system.get_allowed_reset_system_values()


def _reset(target: BmcTarget, system, reset_type) -> None:
    with _translated(target, f"reset {reset_type.value}"):
        system.reset_system(reset_type)


def _wait(target: BmcTarget, system, want: MachinePower) -> MachinePower:
    def read():
        state = _settled_state(target, system)
        if state is None:  # still PoweringOn/Off: not there yet
            return MachinePower.OFF if want == MachinePower.ON else MachinePower.ON
        return state

    return wait_for_power(
        target, read, want, seconds=float(target.option("power_wait", 60)), interval=1.0
    )
