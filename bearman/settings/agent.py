"""The gRPC agent API: where it listens, how it authenticates, what it hands agents."""

from django.core.exceptions import ImproperlyConfigured

from .environment import env_bool, env_int, env_list, env_str

BEARMAN_GRPC_BIND = env_str("BEARMAN_GRPC_BIND", "[::]:50051")
# Calls in flight per process. A Register call waits for its batch in its thread, so this
# also bounds how many registrations share one transaction (bench/README.md: 64 doubled
# the registration rate of 16). Calls of the other methods each hold a database
# connection while they run: PostgreSQL's max_connections must allow processes × threads.
BEARMAN_GRPC_THREADS = env_int("BEARMAN_GRPC_THREADS", 64, minimum=1)
BEARMAN_GRPC_PROCESSES = env_int("BEARMAN_GRPC_PROCESSES", 1, minimum=1)
# Seconds in-flight calls get to finish on SIGTERM before the server stops.
BEARMAN_GRPC_GRACE_SECONDS = env_int("BEARMAN_GRPC_GRACE_SECONDS", 10)
BEARMAN_GRPC_TLS_CERT = env_str("BEARMAN_GRPC_TLS_CERT")
BEARMAN_GRPC_TLS_KEY = env_str("BEARMAN_GRPC_TLS_KEY")
if bool(BEARMAN_GRPC_TLS_CERT) != bool(BEARMAN_GRPC_TLS_KEY):
    raise ImproperlyConfigured("Set both BEARMAN_GRPC_TLS_CERT and BEARMAN_GRPC_TLS_KEY, or none")

# The BMC account Bearman creates on every node: one site-wide password when set,
# else a generated one per node (kept encrypted, the same on every re-registration).
BEARMAN_BMC_USERNAME = env_str("BEARMAN_BMC_USERNAME", "bearman")
BEARMAN_BMC_PASSWORD = env_str("BEARMAN_BMC_PASSWORD")
BEARMAN_BMC_CHANNEL = env_int("BEARMAN_BMC_CHANNEL", 1, minimum=1)
BEARMAN_BMC_USER_ID = env_int("BEARMAN_BMC_USER_ID", 3, minimum=2)
for _name, _value in (("USERNAME", BEARMAN_BMC_USERNAME), ("PASSWORD", BEARMAN_BMC_PASSWORD)):
    if _value.startswith("-"):  # the agent passes both to ipmitool, which reads an option
        raise ImproperlyConfigured(f"BEARMAN_BMC_{_name} must not start with '-'")

# The zone of a node whose agent address is in no provisioning pool.
BEARMAN_DEFAULT_AVAILABILITY_ZONE = env_str("BEARMAN_DEFAULT_AVAILABILITY_ZONE", "default")
BEARMAN_DNS_SERVERS = env_list("BEARMAN_DNS_SERVERS", [])


def reflection_default(production: bool) -> bool:
    """Reflection helps people poke at the API; production turns it on explicitly."""
    return env_bool("BEARMAN_GRPC_REFLECTION", not production)
