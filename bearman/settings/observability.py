"""Logs and metrics: plain or JSON lines on stderr; Prometheus shared across processes."""

import os

from .environment import env_str, var_dir

BEARMAN_LOG_FORMAT = env_str("BEARMAN_LOG_FORMAT", "plain").lower()
BEARMAN_LOG_LEVEL = env_str("BEARMAN_LOG_LEVEL", "INFO").upper()

# gunicorn workers, gRPC processes and Celery workers each count on their own; the
# client library adds them up from files in this directory when /metrics is scraped.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR") or str(var_dir() / "metrics")
os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if BEARMAN_LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": BEARMAN_LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
