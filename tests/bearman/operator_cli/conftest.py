"""The real `bearman` command against a live test server (pytest-django's live_server)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bearman.services.api_tokens import api_token_issue
from tests.bearman.api.conftest import ALL_PERMISSIONS, user_with

BEARMAN = Path(sys.executable).parent / "bearman"


class Cli:
    """Runs `bearman` as an operator's shell would, with the server and token in the env."""

    def __init__(self, url: str, token: str, home: Path):
        self.env = {
            **os.environ,
            "BEARMAN_URL": url,
            "BEARMAN_TOKEN": token,
            "XDG_CONFIG_HOME": str(home),
        }
        self.env.pop("BEARMAN_CONFIG", None)

    def run(self, *args: str, stdin: str = "", env: dict | None = None, timeout: float = 120):
        return subprocess.run(
            [str(BEARMAN), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**self.env, **(env or {})},
        )

    def json(self, *args: str):
        """Run with --json, check it succeeded, and parse what it printed."""
        result = self.run(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def cli(live_server, django_user_model, tmp_path):
    user = user_with(django_user_model, "operator", ALL_PERMISSIONS)
    _token, key = api_token_issue(user=user)
    return Cli(live_server.url, key, tmp_path)
