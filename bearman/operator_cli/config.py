"""Where the server is and the token to use: the environment first, then a config file."""

import os
import stat
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError


@dataclass(frozen=True)
class Config:
    url: str
    token: str


def config_path() -> Path:
    """$BEARMAN_CONFIG, else $XDG_CONFIG_HOME/bearman/config.toml (~/.config by default)."""
    explicit = os.environ.get("BEARMAN_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "bearman" / "config.toml"


def load_config(url_option: str | None = None) -> Config:
    """The URL (--url, BEARMAN_URL, file) and token (BEARMAN_TOKEN, file); both are needed."""
    from_file = _read_file(config_path())
    url = url_option or os.environ.get("BEARMAN_URL") or from_file.get("url", "")
    token = os.environ.get("BEARMAN_TOKEN") or from_file.get("token", "")
    if not url:
        raise UsageError(
            f'No server: set BEARMAN_URL, pass --url, or put url = "…" in {config_path()}'
        )
    if not token:
        raise UsageError(
            f'No token: set BEARMAN_TOKEN or put token = "…" in {config_path()} '
            "(an administrator makes one with `manage.py drf_create_token USER`)"
        )
    return Config(url=url.rstrip("/"), token=token)


def _read_file(path: Path) -> dict:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise UsageError(f"Cannot read {path}: {error.strerror}") from None
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(
            f"warning: {path} holds a token and others can read it: chmod 600 it", file=sys.stderr
        )
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from None
    return {key: str(values[key]) for key in ("url", "token") if key in values}
