"""docker-compose.yml as README's recipe uses it: `docker-compose config` (client side,
no engine needed) with exactly the variables the recipe lists, and a healthcheck on every
long-running service that asks the service itself.

Outside CI a missing docker-compose skips; with CI=true it fails (`make system-deps`
installs Debian's)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
LONG_RUNNING = {"postgres", "redis", "web", "grpc", "nginx", "worker", "worker-operator", "beat"}


def recipe_variables() -> list[str]:
    """The variables README's docker-compose section says to put in `.env`."""
    section = (ROOT / "README.md").read_text().split("### docker-compose\n", 1)[1]
    section = section.split("\n#", 1)[0]
    sentence = re.search(r"Put (.*?) in an `\.env`", section, flags=re.DOTALL)
    assert sentence, "README's docker-compose section names no .env variables"
    return re.findall(r"`([A-Z_][A-Z0-9_]*)`", sentence.group(1))


def compose_config(project: Path, variables: list[str]) -> subprocess.CompletedProcess:
    """`docker-compose config` in `project` with an .env of `variables`, and nothing else
    from this process's environment."""
    (project / ".env").write_text("".join(f"{name}=recipe-{name.lower()}\n" for name in variables))
    return subprocess.run(
        [require_tool("docker-compose"), "config"],
        cwd=project,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(project)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of what the compose file refers to (build context, nginx template)."""
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    return tmp_path


@pytest.fixture
def config(project) -> dict:
    result = compose_config(project, recipe_variables())
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_recipe_lists_the_required_secrets():
    assert set(recipe_variables()) == {
        "BEARMAN_SECRET_KEY",
        "BEARMAN_FERNET_KEYS",
        "BEARMAN_ENROLLMENT_TOKEN",
        "POSTGRES_PASSWORD",
    }


def test_config_passes_with_exactly_the_recipes_variables(config):
    web = config["services"]["web"]["environment"]
    assert web["BEARMAN_ENROLLMENT_TOKEN"] == "recipe-bearman_enrollment_token"
    assert (
        web["DATABASE_URL"] == "postgres://bearman:recipe-postgres_password@postgres:5432/bearman"
    )


@pytest.mark.parametrize("left_out", recipe_variables())
def test_config_names_each_recipe_variable_left_out(project, left_out):
    result = compose_config(project, [name for name in recipe_variables() if name != left_out])
    assert result.returncode != 0
    assert f"set {left_out}" in result.stderr


def test_every_long_running_service_is_checked(config):
    services = config["services"]
    assert set(services) == LONG_RUNNING | {"migrate"}
    unchecked = sorted(name for name in LONG_RUNNING if "healthcheck" not in services[name])
    assert not unchecked, f"no healthcheck: {unchecked}"


def _check(config: dict, service: str) -> str:
    return " ".join(config["services"][service]["healthcheck"]["test"])


def test_each_healthcheck_asks_the_service_itself(config):
    assert "http://127.0.0.1:8000/readyz" in _check(config, "web")
    assert "HealthStub" in _check(config, "grpc") and "127.0.0.1:50051" in _check(config, "grpc")
    assert _check(config, "worker") == "CMD python manage.py healthcheck worker"
    assert _check(config, "beat") == "CMD python manage.py healthcheck beat"
    # A script the migrate service rendered into the files nginx serves.
    assert "http://127.0.0.1/ipxe/healthz.ipxe" in _check(config, "nginx")
    assert "healthcheck render" in " ".join(config["services"]["migrate"]["command"])
    template = (ROOT / "deploy" / "nginx" / "bearman.conf.template").read_text()
    assert "location = /ipxe/healthz.ipxe" in template


def test_the_bearman_services_read_the_env_file_and_share_the_var_volume(config):
    """Optional settings in .env reach the processes; beat's schedule and the rendered
    scripts live in the volume nginx reads."""
    for name in ("migrate", "web", "grpc", "worker", "beat"):
        service = config["services"][name]
        assert service["environment"]["BEARMAN_SECRET_KEY"] == "recipe-bearman_secret_key"
        assert any("bearman-var:" in str(volume) for volume in service["volumes"]), name
