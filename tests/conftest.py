import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
# A run on the embedded default on purpose (SQLite and the file-system broker, what
# `make run` uses): CI runs the suite so too, not only on PostgreSQL and Redis.
EMBEDDED_RUN = os.environ.get("BEARMAN_TEST_EMBEDDED", "").lower() == "true"
# .ci/run's second pass, on PostgreSQL and Redis after the embedded one, leaves out RUN_ONCE.
SECOND_ENGINE_RUN = os.environ.get("BEARMAN_TEST_SECOND_ENGINE", "").lower() == "true"
# Tests of what the database engine plays no part in (the agent, deployment files, BMC
# drivers), and the slow boots of real iPXE and QEMU machines, whose engine-specific steps
# other tests cover on both engines: once per CI run is enough.
RUN_ONCE = (
    "tests/agent/",
    "tests/bearman/power/test_fake.py",
    "tests/bearman/power/test_ipmi.py",
    "tests/bearman/power/test_redfish.py",
    "tests/deploy/test_compose.py",
    "tests/deploy/test_dhcp_examples.py",
    "tests/deploy/test_ipxe_binaries.py",
    "tests/deploy/test_settings_documented.py",
    "tests/lab/test_real_ipxe.py",
    "tests/lab/test_vm_loop.py",
)


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


def pytest_collection_modifyitems(config, items):
    if not SECOND_ENGINE_RUN:
        return
    once = [item for item in items if item.nodeid.startswith(RUN_ONCE)]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if not item.nodeid.startswith(RUN_ONCE)]


def require(condition: bool, message: str) -> None:
    """Go on when `condition` holds; else skip, or fail in CI, which must have everything."""
    if condition:
        return
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str, hint: str = "make system-deps installs it") -> str:
    """The tool's path (sbin directories included); a missing one skips, or fails in CI."""
    path = shutil.which(name, path=f"{os.environ.get('PATH', '')}:/usr/local/sbin:/usr/sbin:/sbin")
    require(path is not None, f"{name} is not installed ({hint})")
    return path


@pytest.fixture(autouse=True)
def _static_without_manifest(settings):
    """Tests render admin pages without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
