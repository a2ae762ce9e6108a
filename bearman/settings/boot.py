"""Network boot: where iPXE finds Bearman, the first-stage OS and the rendered scripts."""

from django.core.exceptions import ImproperlyConfigured

from .environment import BASE_DIR, env_bool, env_str, var_dir

# The absolute URL nodes reach Bearman's HTTP side at, e.g. http://10.0.0.2:8000.
# Empty: scripts are built from each request's Host header and render-on-write is off
# (rendered files must not depend on who asked).
BEARMAN_PUBLIC_URL = env_str("BEARMAN_PUBLIC_URL").rstrip("/")
if BEARMAN_PUBLIC_URL and not BEARMAN_PUBLIC_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("BEARMAN_PUBLIC_URL must start with http:// or https://")
# host:port of the gRPC endpoint for the agent; empty: the public host, port 50051.
BEARMAN_GRPC_PUBLIC_ADDRESS = env_str("BEARMAN_GRPC_PUBLIC_ADDRESS")

# The first-stage OS; a path starting with / is relative to the public URL.
BEARMAN_FIRST_STAGE_KERNEL = env_str("BEARMAN_FIRST_STAGE_KERNEL", "/artifacts/first-stage-vmlinuz")
BEARMAN_FIRST_STAGE_INITRD = env_str(
    "BEARMAN_FIRST_STAGE_INITRD", "/artifacts/first-stage-initrd.img"
)
BEARMAN_FIRST_STAGE_APPEND = env_str(
    "BEARMAN_FIRST_STAGE_APPEND", "console=tty0 console=ttyS0,115200n8"
)

# What a node with nothing to do boots: "local" (its disk) or "poweroff".
BEARMAN_IPXE_IDLE_ACTION = env_str("BEARMAN_IPXE_IDLE_ACTION", "local")
if BEARMAN_IPXE_IDLE_ACTION not in {"local", "poweroff"}:
    raise ImproperlyConfigured("BEARMAN_IPXE_IDLE_ACTION must be 'local' or 'poweroff'")

BEARMAN_IPXE_TEMPLATE_DIR = env_str("BEARMAN_IPXE_TEMPLATE_DIR") or str(BASE_DIR / "ipxe_templates")
BEARMAN_IPXE_RENDER_DIR = env_str("BEARMAN_IPXE_RENDER_DIR") or str(var_dir() / "ipxe")
# The iPXE binaries served at /ipxe/bin/ for chainloading (Debian's ipxe package).
BEARMAN_IPXE_BINARY_DIR = env_str("BEARMAN_IPXE_BINARY_DIR") or "/usr/lib/ipxe"

# Put the enrollment token on the first stage's kernel command line (bearman.token=…),
# so that images need no baked-in token. Off by default: scripts carry no secrets.
BEARMAN_IPXE_SEND_ENROLLMENT_TOKEN = env_bool("BEARMAN_IPXE_SEND_ENROLLMENT_TOKEN", False)

# Uploaded boot artifacts: with nginx in front, hand the file over (X-Accel-Redirect)
# under this internal location instead of streaming it through Python.
BEARMAN_ARTIFACTS_ACCEL_REDIRECT = env_str("BEARMAN_ARTIFACTS_ACCEL_REDIRECT")
