"""Celery (the worker that talks to BMCs) and the power settings, all from the environment.

The embedded default needs no server: kombu's file-system transport under var/broker.
Production sets CELERY_BROKER_URL (Redis). There is no result backend: a
PowerOperation row is the result, so nothing reads Celery's.
"""

from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from .environment import env_bool, env_int, env_list, env_str, var_dir

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = var_dir() / "broker"
    _queue_dir.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_queue_dir),
        # The transport polls its folder; kombu's default second would idle the fan-out.
        "polling_interval": 0.1,
    }

# Seconds one power operation may take in a worker before it is stopped (hard limit);
# the driver's own timeouts sit well inside it.
BEARMAN_POWER_OPERATION_SECONDS = env_int("BEARMAN_POWER_OPERATION_SECONDS", 120, minimum=5)
# Retries of an operation after a transient BMC error (unreachable, timeout).
BEARMAN_POWER_RETRIES = env_int("BEARMAN_POWER_RETRIES", 2)
BEARMAN_POWER_RETRY_SECONDS = env_int("BEARMAN_POWER_RETRY_SECONDS", 15)
# A queued operation that no worker picked up in this time fails, with what is known of
# why (bearman.services.power.reconcile).
BEARMAN_POWER_QUEUE_SECONDS = env_int("BEARMAN_POWER_QUEUE_SECONDS", 900, minimum=10)
# How often the reaper looks for operations whose worker vanished.
BEARMAN_POWER_REAP_SECONDS = env_int("BEARMAN_POWER_REAP_SECONDS", 60, minimum=1)
# A queued operation that no worker has claimed this long is sent again (its message may
# be lost: a broker restart, a worker that gave up on an unavailable database), then each
# time it has waited twice as long; a second message finds it claimed and does nothing.
# Well below BEARMAN_POWER_QUEUE_SECONDS, and above BEARMAN_BMC_CHECK_DELAY_SECONDS and the
# retry countdowns (BEARMAN_POWER_RETRY_SECONDS × attempt), which delay messages on purpose.
BEARMAN_POWER_RESEND_SECONDS = env_int("BEARMAN_POWER_RESEND_SECONDS", 60, minimum=1)
# How often the reconciler looks for such operations.
BEARMAN_POWER_RECONCILE_SECONDS = env_int("BEARMAN_POWER_RECONCILE_SECONDS", 30, minimum=1)
# Power-state sync of every node with a BMC; 0 turns it off.
BEARMAN_POWER_SYNC_SECONDS = env_int("BEARMAN_POWER_SYNC_SECONDS", 300)
# Nodes per sync task: tasks spread over the worker's processes (its concurrency). Few,
# large tasks: each pool process serves one task, and the embedded broker's worker
# replaces an exited pool process only every 0.8 s (bench/README.md, power_fanout).
BEARMAN_POWER_SYNC_BATCH = env_int("BEARMAN_POWER_SYNC_BATCH", 250, minimum=1)
# BMCs one sync task asks at once (threads; nodes behind one BMC still go one at a
# time). A worker asks at most its concurrency × this many BMCs at a time. More threads
# than this mostly wait for the interpreter lock: 16 were slower than 4 here.
BEARMAN_POWER_SYNC_PARALLEL = env_int("BEARMAN_POWER_SYNC_PARALLEL", 8, minimum=1)
# Bulk power (admin actions, the API, the CLI): nodes queued at a time, and the share of
# finished operations that may fail before no further batch is queued.
BEARMAN_POWER_BULK_BATCH_SIZE = env_int("BEARMAN_POWER_BULK_BATCH_SIZE", 50, minimum=1)
BEARMAN_POWER_BULK_MAX_FAILURE_PERCENT = env_int("BEARMAN_POWER_BULK_MAX_FAILURE_PERCENT", 10)
# How often a running bulk request looks whether its batch has finished.
BEARMAN_POWER_BULK_POLL_SECONDS = env_int("BEARMAN_POWER_BULK_POLL_SECONDS", 2, minimum=1)
# Driver defaults; a node's BMC options override them.
BEARMAN_BMC_TIMEOUT = env_int("BEARMAN_BMC_TIMEOUT", 10, minimum=1)
BEARMAN_POWER_WAIT_SECONDS = env_int("BEARMAN_POWER_WAIT_SECONDS", 60, minimum=1)
BEARMAN_REDFISH_VERIFY_TLS = env_bool("BEARMAN_REDFISH_VERIFY_TLS", True)
# Pacing per BMC (bearman.services.power.pacing), as Ironic's min_command_interval: the
# least time between the end of one command to a BMC and the start of the next, across
# every worker process. Its circuit breaker: after this many failures in a row a BMC is
# left alone (syncs skip it, Bearman's own checks fail at once) for the backoff, doubled
# at each further failure up to the cap; a success closes it.
BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS = env_int("BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS", 1)
BEARMAN_BMC_BREAKER_FAILURES = env_int("BEARMAN_BMC_BREAKER_FAILURES", 5, minimum=1)
BEARMAN_BMC_BREAKER_BACKOFF_SECONDS = env_int("BEARMAN_BMC_BREAKER_BACKOFF_SECONDS", 60, minimum=1)
BEARMAN_BMC_BREAKER_MAX_SECONDS = env_int("BEARMAN_BMC_BREAKER_MAX_SECONDS", 3600, minimum=1)

# Two lanes (bearman.services.queueing.Lane): what operators ask for, and what Bearman
# does by itself (BMC checks after registration, syncs), so that a burst of the second
# never queues ahead of the first. Work that talks to a BMC goes to the lane's queue of
# the BMC's availability zone ("zone.<zone>.operator", "zone.<zone>.background"); these
# two are the zone-less lanes, for the rest (notices, deadlines, bulk requests).
CELERY_TASK_QUEUES = (Queue("celery"), Queue("background"))
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "bearman.tasks.power_sync": {"queue": "background"},
    "bearman.tasks.notices_flush": {"queue": "background"},
}
# The availability zones whose BMC work a worker takes: * (every zone of Bearman's
# nodes, new ones included) or names separated by commas, for a worker in a site that
# reaches only those zones' BMCs (README, "Running a second site").
BEARMAN_WORKER_ZONES = env_list("BEARMAN_WORKER_ZONES", ["*"]) or ["*"]
if "*" in BEARMAN_WORKER_ZONES and len(BEARMAN_WORKER_ZONES) > 1:
    raise ImproperlyConfigured("BEARMAN_WORKER_ZONES is either * or a list of zones, not both")
# Whether a worker also takes the zone-less work: true for the main site's worker, false
# for a site's that may not reach the webhooks or has no say in bulk requests.
BEARMAN_WORKER_SHARED_QUEUES = env_bool("BEARMAN_WORKER_SHARED_QUEUES", True)
# The lanes a worker serves: both, or only "operator" for a worker that is free for
# operators' actions while syncs and BMC checks fill the other worker's processes (the
# Procfile's worker-operator; a Celery worker's processes are not shared out by queue).
BEARMAN_WORKER_LANES = env_list("BEARMAN_WORKER_LANES", ["operator", "background"])
if not BEARMAN_WORKER_LANES or set(BEARMAN_WORKER_LANES) - {"operator", "background"}:
    raise ImproperlyConfigured("BEARMAN_WORKER_LANES is operator, background or both")
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task (OOM, SIGKILL) puts the message back rather than losing it.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process serves this many tasks, then a fresh one takes over (bounds what a
# long-lived process can accumulate). Long-lived processes are safe with pyghmi since
# the fixes in bearman.power.pyghmi_compat (7); one task each made every power operation
# wait for the pool to replace its process (every 0.8 s with the embedded broker).
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("BEARMAN_WORKER_MAX_TASKS_PER_CHILD", 1000, minimum=1)
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fix-up closes every database connection after every task unless this
# is set, and then only every this many tasks: reopening it for every power operation
# (SQLite's PRAGMAs and functions, or a new PostgreSQL backend) is pure overhead.
# bearman.celery drops a stale or broken one around each task, as Django does per request.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis hands an unacknowledged message to another worker after this long: longer
    # than any operation (with its retries) may run, or one would run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BEARMAN_POWER_OPERATION_SECONDS * 4,
    }
# How often deadlines are checked (stuck Baremetals, silent BMCs) and notices retried.
BEARMAN_OPERATIONS_CHECK_SECONDS = env_int("BEARMAN_OPERATIONS_CHECK_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "power-reap": {
        "task": "bearman.tasks.power_reap",
        "schedule": float(BEARMAN_POWER_REAP_SECONDS),
    },
    "power-reconcile": {
        "task": "bearman.tasks.power_reconcile",
        "schedule": float(BEARMAN_POWER_RECONCILE_SECONDS),
    },
    "deadlines": {
        "task": "bearman.tasks.operations_deadlines",
        "schedule": float(BEARMAN_OPERATIONS_CHECK_SECONDS),
    },
    # Picks up notices whose flush was lost (say, the broker was down when raised).
    "notices": {
        "task": "bearman.tasks.notices_flush",
        "schedule": float(BEARMAN_OPERATIONS_CHECK_SECONDS),
    },
}
if BEARMAN_POWER_SYNC_SECONDS:
    CELERY_BEAT_SCHEDULE["power-sync"] = {
        "task": "bearman.tasks.power_sync",
        "schedule": float(BEARMAN_POWER_SYNC_SECONDS),
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(var_dir() / "celerybeat-schedule")
