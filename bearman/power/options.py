"""Each driver's options: their names, what they mean and the JSON values they take.

Checked when an operator writes them (admin, API, service), so that a worker never meets
`{"timeout": "abc"}` half way through a power sync. Plain Python, like every driver.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class OptionSpec:
    """One option: what it means, and the problem with a value (None when it is fine)."""

    meaning: str
    problem: Callable[[object], str | None]


def _seconds(most: int) -> Callable[[object], str | None]:
    def problem(value) -> str | None:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and 0 < value <= most:
            return None
        return f"a number of seconds above 0 and at most {most}"

    return problem


def _cipher_suite(value) -> str | None:
    return None if value in (3, 17) and not isinstance(value, bool) else "3 or 17"


def _system_id(value) -> str | None:
    ok = isinstance(value, str) and 0 < len(value) <= 255 and value.isprintable()
    return None if ok else "a ComputerSystem Id (a non-empty string)"


def _verify_tls(value) -> str | None:
    if isinstance(value, bool):
        return None
    ok = isinstance(value, str) and 0 < len(value) <= 4096 and value.isprintable()
    return None if ok else "true, false or the path of a CA bundle"


TIMEOUT = OptionSpec("seconds the BMC has to answer", _seconds(300))
POWER_WAIT = OptionSpec("seconds the machine has to reach the asked power state", _seconds(3600))
DRIVER_OPTIONS: Mapping[str, Mapping[str, OptionSpec]] = {
    "ipmi": {
        "timeout": TIMEOUT,
        "power_wait": POWER_WAIT,
        "cipher_suite": OptionSpec("IPMI cipher suite: 17 (falls back to 3) or 3", _cipher_suite),
    },
    "redfish": {
        "timeout": TIMEOUT,
        "power_wait": POWER_WAIT,
        "system_id": OptionSpec("Redfish ComputerSystem Id (default: the only one)", _system_id),
        "verify_tls": OptionSpec("Redfish: true, false or the path of a CA bundle", _verify_tls),
    },
    "fake": {"timeout": TIMEOUT, "power_wait": POWER_WAIT},
}
# Every option any driver takes; one name means the same thing for every driver.
ALL_OPTIONS: Mapping[str, OptionSpec] = {
    name: spec for options in DRIVER_OPTIONS.values() for name, spec in options.items()
}


def option_problems(options, driver: str | None = None) -> list[str]:
    """What is wrong with `options` for `driver` (any driver when None), in plain words."""
    if not isinstance(options, Mapping):
        return ['BMC options are a JSON object, e.g. {"cipher_suite": 3}.']
    known = DRIVER_OPTIONS.get(driver, {}) if driver else ALL_OPTIONS
    problems = []
    for name, value in options.items():
        spec = known.get(name)
        if spec is None:
            whose = f"the {driver} driver" if driver else "any driver"
            problems.append(
                f"{name!r} is not an option of {whose}; known: {', '.join(known) or 'none'}."
            )
        elif (wanted := spec.problem(value)) is not None:
            problems.append(f"{name} must be {wanted}.")
    return problems
