"""Render on write: every change to a node's script rewrites var/ipxe/<uuid>.ipxe.

nginx serves that directory as plain files (falling back to Bearman for nodes not
rendered yet), and Bearman's own endpoint reads the same files first, so nodes keep
booting while the database is down. Rendering needs BEARMAN_PUBLIC_URL: a file cannot
depend on the Host header of whoever asks.
"""

import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import jinja2
from django.conf import settings
from django.db import transaction

from bearman.errors import BearmanError

from .boot_scripts import BootEndpoints, node_ipxe_script

logger = logging.getLogger(__name__)


def rendered_script_path(uuid: str) -> Path:
    return Path(settings.BEARMAN_IPXE_RENDER_DIR) / f"{uuid}.ipxe"


def read_rendered_script(uuid: str) -> str | None:
    """The rendered script of `uuid` (canonical), or None when there is none."""
    try:
        return rendered_script_path(uuid).read_text()
    except FileNotFoundError:
        return None


def ipxe_render_nodes(*, uuids: Iterable[str]) -> int:
    """Rewrite the rendered scripts of these nodes now; returns how many were written."""
    endpoints = BootEndpoints.configured()
    if endpoints is None:
        return 0
    directory = Path(settings.BEARMAN_IPXE_RENDER_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for uuid in uuids:
        try:
            script = node_ipxe_script(uuid=uuid, endpoints=endpoints)
        except (BearmanError, jinja2.TemplateError):
            # Never leave a stale script behind: without a file the node's request
            # reaches Bearman, which answers with the error.
            rendered_script_path(uuid).unlink(missing_ok=True)
            logger.exception("Could not render the iPXE script of node %s", uuid)
            continue
        _write_atomically(rendered_script_path(uuid), script)
        written += 1
    return written


def ipxe_forget_nodes(*, uuids: Iterable[str]) -> None:
    """Remove the rendered scripts of deleted nodes (they fall back to registration)."""
    for uuid in uuids:
        rendered_script_path(uuid).unlink(missing_ok=True)


def ipxe_render_on_commit(*, uuids: Iterable[str]) -> None:
    """Re-render these nodes once the current transaction commits (never a stale read)."""
    uuids = list(uuids)
    if uuids and settings.BEARMAN_PUBLIC_URL:
        transaction.on_commit(lambda: ipxe_render_nodes(uuids=uuids), robust=True)


def _write_atomically(path: Path, text: str) -> None:
    # A reader (nginx, a boot request) sees the old file or the new one, never half of one.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
