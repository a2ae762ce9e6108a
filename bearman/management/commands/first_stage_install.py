from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bearman.errors import FirstStageMissing
from bearman.services.first_stage import first_stage_install
from bearman.settings.environment import var_dir


class Command(BaseCommand):
    help = (
        "Store the first-stage OS built by `make first-stage` (DIR/vmlinuz, DIR/initrd.img) as the "
        "boot artifacts first-stage-vmlinuz and first-stage-initrd.img. The initrd gets an "
        "overlay with /etc/bearman/agent.env (mode 0600): the site's enrollment token and, if "
        "given, the LLDP wait."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            type=Path,
            default=None,
            help="where the built image is (default: var/first-stage under BEARMAN_VAR_DIR)",
        )
        parser.add_argument(
            "--lldp-wait",
            type=int,
            default=None,
            metavar="SECONDS",
            help="how long the agent waits for LLDP neighbours (default: the unit's 40; "
            "0 for a lab where nothing speaks LLDP)",
        )
        parser.add_argument(
            "--no-token",
            action="store_true",
            help="leave the enrollment token out of the image (pass it as bearman.token= instead)",
        )

    def handle(self, *args, dir, lldp_wait, no_token, **options):
        directory = dir or var_dir() / "first-stage"
        if lldp_wait is not None and lldp_wait < 0:
            raise CommandError("--lldp-wait must be 0 or more seconds")
        token = None if no_token else settings.BEARMAN_ENROLLMENT_TOKEN
        try:
            installed = first_stage_install(directory=directory, token=token, lldp_wait=lldp_wait)
        except FirstStageMissing as error:
            raise CommandError(str(error)) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        for artifact in (installed.kernel, installed.initrd):
            self.stdout.write(
                f"{artifact.name}: {artifact.size_bytes} bytes, sha256 {artifact.sha256}"
            )
        if installed.overlay_bytes:
            settings_held = "the enrollment token" if token else "no token"
            wait = "" if lldp_wait is None else f", LLDP wait {lldp_wait} s"
            self.stdout.write(
                f"site overlay /etc/bearman/agent.env: {settings_held}{wait} "
                f"({installed.overlay_bytes} bytes)"
            )
        else:
            self.stdout.write("no site overlay: the agent needs bearman.token= or none at all")
        self.stdout.write(self.style.SUCCESS(f"first-stage image installed from {directory}"))
