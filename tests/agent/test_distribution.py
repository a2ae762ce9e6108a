"""The agent as it reaches a first-stage image: a wheel or a zipapp, needing only gRPC."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parents[2] / "agent"
PACKAGE = AGENT / "bearman_agent"
ALLOWED_THIRD_PARTY = {"grpc", "google", "bearman_agent"}


def _sources():
    return [p for p in PACKAGE.rglob("*.py") if "wire" not in p.relative_to(PACKAGE).parts]


def test_wheel_installs_bearman_cli_and_needs_only_grpc_and_protobuf(tmp_path):
    # Build from a copy: setuptools leaves build/ behind in the tree it builds.
    source = tmp_path / "agent"
    shutil.copytree(AGENT, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("bearman_agent-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "bearman_agent/cli.py" in names
    assert "bearman_agent/wire/bearman/v1/agent_pb2_grpc.py" in names
    assert "bearman_agent/wire/bearman/v1/agent_pb2.pyi" in names
    assert "bearman-cli = bearman_agent.cli:main" in entry_points
    requires = sorted(
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    )
    assert requires == ["grpcio>=1.66.2", "protobuf>=5.29.6"]
    assert "Requires-Python: >=3.9" in metadata


def python39() -> str | None:
    """A Python 3.9 that runs: on PATH, or one of pyenv's (whose shim may be inactive)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which("python3.9"), *map(str, sorted(pyenv.glob("3.9*/bin/python3.9")))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    return None


def test_the_wheel_runs_on_python_39_with_the_grpc_it_gets_there(tmp_path):
    """Older first-stage images have Python 3.9: the newest gRPC for it must do."""
    interpreter = python39()
    if interpreter is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("python3.9 is missing in CI; the agent must be checked on it")
        pytest.skip("python3.9 is not installed here (CI has it)")
    venv = tmp_path / "py39"
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(AGENT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    cli = str(venv / "bin" / "bearman-cli")
    assert subprocess.run([cli, "--help"], capture_output=True).returncode == 0
    # A real call through grpc on 3.9: nothing listens there, so exit code 3.
    unreachable = subprocess.run(
        [
            cli,
            "ipxe",
            "--server",
            "127.0.0.1:9",
            "--token",
            "t",
            "--retries",
            "0",
            "--system-uuid",
            "4c4c4544-0042-3510-8052-b3c04f4b4c32",
            "--timeout",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unreachable.returncode == 3, unreachable.stderr


def test_zipapp_runs(tmp_path):
    pyz = tmp_path / "bearman-cli.pyz"
    subprocess.run(
        [sys.executable, str(AGENT / "tools" / "make_zipapp.py"), str(pyz)],
        check=True,
        capture_output=True,
    )
    assert pyz.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    facts = subprocess.run(
        [sys.executable, str(pyz), "facts", "--json"], capture_output=True, text=True
    )
    assert facts.returncode == 0, facts.stderr
    assert json.loads(facts.stdout)["memory_bytes"] > 0
    with zipfile.ZipFile(pyz) as archive:
        assert not [n for n in archive.namelist() if "__pycache__" in n]


def test_agent_imports_only_the_standard_library_grpc_and_itself():
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            foreign = roots - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY
            assert not foreign, f"{path.name} imports {foreign}"


def test_agent_sources_are_python_39_syntax():
    for path in _sources():
        source = path.read_text()
        ast.parse(source, feature_version=(3, 9))
        if "| None" in source or "list[" in source or "dict[" in source:
            # Newer annotations are fine on 3.9 only while they stay unevaluated strings.
            assert "from __future__ import annotations" in source, path.name
