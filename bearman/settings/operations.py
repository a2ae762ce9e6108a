"""Operating Bearman: notices to people, deadlines for machines."""

from .boot import BEARMAN_PUBLIC_URL
from .environment import env_int, env_str

# A Slack-compatible incoming webhook (or any endpoint taking JSON); empty: no notices sent.
BEARMAN_NOTIFY_WEBHOOK_URL = env_str("BEARMAN_NOTIFY_WEBHOOK_URL")
# Notices raised within this many seconds go out together as one message.
BEARMAN_NOTIFY_BATCH_SECONDS = env_int("BEARMAN_NOTIFY_BATCH_SECONDS", 20)
# Where notices link to a node's admin page; by default the public URL.
BEARMAN_ADMIN_URL = (env_str("BEARMAN_ADMIN_URL") or BEARMAN_PUBLIC_URL).rstrip("/")
BEARMAN_NOTIFY_TIMEOUT_SECONDS = env_int("BEARMAN_NOTIFY_TIMEOUT_SECONDS", 10, minimum=1)
# Largest message body posted; a larger batch is split (Slack refuses big ones with 413).
BEARMAN_NOTIFY_MAX_BYTES = env_int("BEARMAN_NOTIFY_MAX_BYTES", 64 * 1024, minimum=4096)
# A webhook that fails is tried again after this long, doubling up to the maximum (the
# periodic flush does it, so the delay is rounded up to BEARMAN_OPERATIONS_CHECK_SECONDS).
BEARMAN_NOTIFY_RETRY_SECONDS = env_int("BEARMAN_NOTIFY_RETRY_SECONDS", 30, minimum=1)
BEARMAN_NOTIFY_RETRY_MAX_SECONDS = env_int("BEARMAN_NOTIFY_RETRY_MAX_SECONDS", 300, minimum=1)
# A notice the webhook refused (4xx) this many times, or still waiting after this many
# hours, is given up on: undeliverable, shown in the admin.
BEARMAN_NOTIFY_MAX_ATTEMPTS = env_int("BEARMAN_NOTIFY_MAX_ATTEMPTS", 10, minimum=1)
BEARMAN_NOTIFY_MAX_AGE_HOURS = env_int("BEARMAN_NOTIFY_MAX_AGE_HOURS", 48, minimum=1)

# A Baremetal still in DEPLOY_START or DEPLOYING after this long is flagged as failed.
BEARMAN_DEPLOY_DEADLINE_MINUTES = env_int("BEARMAN_DEPLOY_DEADLINE_MINUTES", 60, minimum=1)
# After a registration, wait this long before asking the BMC for its power state: the
# agent configures the BMC and powers the machine off first, and BMCs take a while to
# apply a new address.
BEARMAN_BMC_CHECK_DELAY_SECONDS = env_int("BEARMAN_BMC_CHECK_DELAY_SECONDS", 20)
# A check that fails is made again (after the same delay) up to this many times in all:
# Register answers before the agent has configured the BMC, and a slow agent or BMC
# must not leave the node REGISTERED until someone notices.
BEARMAN_BMC_CHECK_ATTEMPTS = env_int("BEARMAN_BMC_CHECK_ATTEMPTS", 6, minimum=1)
# A registered node whose BMC has not answered after this long is flagged.
BEARMAN_BMC_DEADLINE_MINUTES = env_int("BEARMAN_BMC_DEADLINE_MINUTES", 30, minimum=1)
