import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config):
    # CI must exercise the real PostgreSQL, never fall back to the embedded SQLite.
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI=true needs DATABASE_URL pointing at PostgreSQL")


@pytest.fixture(autouse=True)
def _static_without_manifest(settings):
    """Tests render admin pages without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
