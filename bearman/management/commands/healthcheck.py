"""Probes for docker-compose's healthchecks: each asks the service itself, not its port."""

import os
import socket
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bearman.services.boot_scripts import BootEndpoints, boot_entry_script

PROBE_SCRIPT = "healthz.ipxe"  # deploy/nginx serves it from the rendered files


class Command(BaseCommand):
    help = (
        "worker: this host's Celery worker answers a ping. beat: beat's schedule file was "
        "written within --max-age seconds. render: write the script nginx's healthcheck "
        "fetches into BEARMAN_IPXE_RENDER_DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("probe", choices=["worker", "beat", "render"])
        parser.add_argument("--max-age", type=int, default=600, help="(beat) seconds")
        parser.add_argument("--timeout", type=float, default=5.0, help="(worker) seconds")

    def handle(self, *args, probe, max_age, timeout, **options):
        if probe == "worker":
            self._worker(timeout)
        elif probe == "beat":
            self._beat(max_age)
        else:
            self._render()

    def _worker(self, timeout: float) -> None:
        from bearman.celery import app

        # Celery names a worker celery@<hostname> unless told otherwise (-n).
        name = f"celery@{socket.gethostname()}"
        if not app.control.ping(destination=[name], timeout=timeout):
            raise CommandError(f"{name} did not answer a ping within {timeout} s")
        self.stdout.write(f"{name} answers")

    def _beat(self, max_age: int) -> None:
        # PersistentScheduler syncs its shelve every few minutes (and dbm may add a suffix).
        base = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
        written = [path.stat().st_mtime for path in base.parent.glob(f"{base.name}*")]
        if not written:
            raise CommandError(f"no beat schedule at {base}")
        age = time.time() - max(written)
        if age > max_age:
            raise CommandError(f"beat's schedule {base} last written {age:.0f} s ago")
        self.stdout.write(f"beat's schedule written {age:.0f} s ago")

    def _render(self) -> None:
        endpoints = BootEndpoints.configured()
        if endpoints is None:
            raise CommandError("Rendered scripts need BEARMAN_PUBLIC_URL; it is not set.")
        directory = Path(settings.BEARMAN_IPXE_RENDER_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{PROBE_SCRIPT}.tmp"
        temporary.write_text(boot_entry_script(endpoints))
        os.replace(temporary, directory / PROBE_SCRIPT)  # nginx never reads half a file
        self.stdout.write(f"Rendered {directory / PROBE_SCRIPT}")
