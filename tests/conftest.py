import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
# A run on the embedded default on purpose (SQLite and the file-system broker, what
# `make run` uses): CI runs the suite so too, not only on PostgreSQL and Redis.
EMBEDDED_RUN = os.environ.get("BEARMAN_TEST_EMBEDDED", "").lower() == "true"


def pytest_configure(config):
    database = os.environ.get("DATABASE_URL", "")
    if EMBEDDED_RUN and (database or os.environ.get("CELERY_BROKER_URL")):
        raise pytest.UsageError(
            "BEARMAN_TEST_EMBEDDED=true runs on the embedded default: unset DATABASE_URL and "
            "CELERY_BROKER_URL"
        )
    # Otherwise CI must exercise the real PostgreSQL, never fall back to SQLite by accident.
    if IN_CI and not EMBEDDED_RUN and not database.startswith("postgres"):
        raise pytest.UsageError(
            "CI=true needs DATABASE_URL pointing at PostgreSQL (or BEARMAN_TEST_EMBEDDED=true)"
        )


@pytest.fixture(autouse=True)
def _static_without_manifest(settings):
    """Tests render admin pages without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
