from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from bearman.models import Node
from bearman.services.boot_files import ipxe_render_nodes
from bearman.validators import normalize_system_uuid


class Command(BaseCommand):
    help = (
        "Re-render the iPXE scripts of every node (or the given UUIDs) into "
        "BEARMAN_IPXE_RENDER_DIR, e.g. after changing BEARMAN_PUBLIC_URL or the templates."
    )

    def add_arguments(self, parser):
        parser.add_argument("uuids", nargs="*", help="only these nodes")

    def handle(self, *args, uuids, verbosity, **options):
        if not settings.BEARMAN_PUBLIC_URL:
            raise CommandError("Rendered scripts need BEARMAN_PUBLIC_URL; it is not set.")
        try:
            wanted = [normalize_system_uuid(uuid) for uuid in uuids]
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        nodes = Node.objects.filter(uuid__in=wanted) if wanted else Node.objects.all()
        written = ipxe_render_nodes(uuids=nodes.values_list("uuid", flat=True).iterator())
        if verbosity:
            self.stdout.write(
                f"Rendered {written} iPXE scripts into {settings.BEARMAN_IPXE_RENDER_DIR}"
            )
