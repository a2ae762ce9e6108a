"""Every setting Bearman reads is in README's configuration table and in .env.example.

The names come from the source, not from a list kept beside it: each env_*() and
required_in_production() call of the settings package, each os.environ read of the
product, and each ${VAR} of the Procfile.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_READERS = {"env_str", "env_bool", "env_int", "env_list", "required_in_production"}
# The bearman CLI's own environment (README, "The bearman CLI"): an operator's laptop,
# not the server's settings.
CLIENT_SIDE = {ROOT / "bearman" / "operator_cli"}
# make's variables, passed to the Procfile's lab processes.
MAKE_VARIABLES = {"LAB", "VMS"}


def _constant_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _name_read(node: ast.AST, *, settings_module: bool) -> str | None:
    """The variable `node` reads: env_int("X", …), os.environ.get("X"), os.environ["X"]."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        return _constant_name(node.slice) if _is_os_environ(node.value) else None
    if not isinstance(node, ast.Call) or not node.args:
        return None
    called = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
    reads = (
        (settings_module and called in SETTINGS_READERS)
        or called == "getenv"
        or (called == "get" and _is_os_environ(node.func.value))
    )
    return _constant_name(node.args[0]) if reads else None


def _names_read(tree: ast.AST, *, settings_module: bool) -> set[str]:
    names = (_name_read(node, settings_module=settings_module) for node in ast.walk(tree))
    return {name for name in names if name}


def settings_read() -> set[str]:
    names = set()
    for package in ("bearman", "ipman"):
        for path in (ROOT / package).rglob("*.py"):
            if any(part in path.parents for part in CLIENT_SIDE):
                continue
            settings_module = path.parent == ROOT / "bearman" / "settings"
            names |= _names_read(ast.parse(path.read_text()), settings_module=settings_module)
    procfile = (ROOT / "Procfile").read_text()
    names |= set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", procfile)) - MAKE_VARIABLES
    return names


def readme_table_names() -> set[str]:
    """The backticked names in the first column of README's configuration table."""
    section = (ROOT / "README.md").read_text().split("## Configuration", 1)[1]
    names = set()
    for line in section.split("\n### ", 1)[0].splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z_][A-Z0-9_]*)`", first_column))
    return names


def env_example_names() -> set[str]:
    """Names set in .env.example, commented out (a default to change) or not."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z_][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_scan_finds_settings_of_each_kind():
    found = settings_read()
    # env_int in a settings module, os.environ in a command, ${…} in the Procfile.
    assert {"BEARMAN_POWER_SYNC_SECONDS", "BEARMAN_ADMIN_PASSWORD", "BEARMAN_WEB_WORKERS"} <= found


def test_every_setting_read_is_in_the_readme_table():
    missing = sorted(settings_read() - readme_table_names())
    assert not missing, f"README.md's configuration table lacks {missing}"


def test_every_setting_read_is_in_env_example():
    missing = sorted(settings_read() - env_example_names())
    assert not missing, f".env.example lacks {missing}"
