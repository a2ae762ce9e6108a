"""Who may register: open or approval, rate limits on new machines, re-registration arming.

docs/security.md explains why; README.md lists the defaults.
"""

from django.core.exceptions import ImproperlyConfigured

from .environment import env_int, env_str

REGISTRATION_MODES = ("open", "approval")
# open: a new UUID registers and gets its BMC at once (zero-touch). approval: it waits as
# a DISCOVERED node, without a BMC address, until an operator accepts it.
BEARMAN_REGISTRATION_MODE = env_str("BEARMAN_REGISTRATION_MODE", "open").lower()
if BEARMAN_REGISTRATION_MODE not in REGISTRATION_MODES:
    raise ImproperlyConfigured(
        f"BEARMAN_REGISTRATION_MODE must be one of {', '.join(REGISTRATION_MODES)}, "
        f"not {BEARMAN_REGISTRATION_MODE!r}"
    )
# New nodes (UUIDs Bearman has never seen) per window, from one gRPC peer address and
# from everyone. A rack of 200 machines powered on within a minute passes: each machine
# is its own peer, and 200 < 600. Registering a known node again is never counted.
BEARMAN_REGISTRATION_WINDOW_SECONDS = env_int("BEARMAN_REGISTRATION_WINDOW_SECONDS", 60, minimum=1)
BEARMAN_REGISTRATION_LIMIT_PER_SOURCE = env_int(
    "BEARMAN_REGISTRATION_LIMIT_PER_SOURCE", 20, minimum=1
)
BEARMAN_REGISTRATION_LIMIT_GLOBAL = env_int("BEARMAN_REGISTRATION_LIMIT_GLOBAL", 600, minimum=1)
# How long an operator's "re-register" arming stays valid (it is also used up by the
# first registration it lets through).
BEARMAN_REREGISTRATION_ARM_SECONDS = env_int("BEARMAN_REREGISTRATION_ARM_SECONDS", 3600, minimum=60)
