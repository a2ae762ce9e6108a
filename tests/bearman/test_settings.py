"""Configuration from the environment, checked in fresh processes as a deployment starts them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "BEARMAN_ENV": "production",
    "BEARMAN_SECRET_KEY": "x" * 64 + "-production-secret-key-for-the-check-deploy-test",
    "BEARMAN_FERNET_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "bearman.example.test",
    "DATABASE_URL": "postgres://bearman@127.0.0.1:5432/bearman",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "BEARMAN_ENROLLMENT_TOKEN": "enrollment-token-for-the-test",
}


def manage(*args, env: dict, var_dir: Path) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BEARMAN_", "DATABASE", "CELERY_", "DJANGO_ALLOW_ASYNC"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "BEARMAN_VAR_DIR": str(var_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_check_deploy(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, var_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    generated = {"secret_key", "fernet_key", "enrollment_token"} & {
        p.name for p in tmp_path.iterdir()
    }
    assert not generated, "production must not generate secrets into var/"


@pytest.mark.parametrize(
    "missing",
    [
        "BEARMAN_SECRET_KEY",
        "BEARMAN_FERNET_KEYS",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
    ],
)
def test_production_refuses_to_start_without_a_secret_or_host(tmp_path, missing):
    env = {**PRODUCTION, missing: ""}
    result = manage("check", env=env, var_dir=tmp_path)
    assert result.returncode != 0
    assert f"{missing} is required when BEARMAN_ENV=production" in result.stderr


def test_a_bad_setting_is_named(tmp_path):
    result = manage("check", env={"BEARMAN_DEBUG": "maybe"}, var_dir=tmp_path)
    assert result.returncode != 0
    assert "BEARMAN_DEBUG must be one of true/false" in result.stderr


def test_embedded_default_generates_its_secrets_once(tmp_path):
    for _ in range(2):
        assert manage("check", env={}, var_dir=tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50 and oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    Fernet((tmp_path / "fernet_key").read_text().encode())  # a usable key
    assert manage("check", env={}, var_dir=tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_embedded_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    probe = (
        "from django.db import connection as c; k = c.cursor(); "
        "print(k.execute('PRAGMA journal_mode').fetchone()[0], "
        "k.execute('PRAGMA busy_timeout').fetchone()[0], c.settings_dict['OPTIONS']"
        "['transaction_mode'])"
    )
    result = manage("shell", "-c", probe, env={}, var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["wal", "30000", "IMMEDIATE"]
    assert (tmp_path / "bearman.sqlite3").exists()


@pytest.mark.parametrize("name", ["BEARMAN_BMC_PASSWORD", "BEARMAN_BMC_USERNAME"])
def test_a_bmc_account_ipmitool_would_read_as_an_option_is_refused(tmp_path, name):
    result = manage("check", env={name: "-secret"}, var_dir=tmp_path)
    assert result.returncode != 0
    assert f"{name} must not start with '-'" in result.stderr
