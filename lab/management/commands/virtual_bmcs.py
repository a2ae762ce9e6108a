from django.core.management.base import BaseCommand

from lab import virtual_bmc
from lab.virtual_bmcs import virtual_bmc_nodes_register


class Command(BaseCommand):
    help = (
        "Serve virtual IPMI v2.0 BMCs on consecutive UDP ports, each with its own "
        "in-memory machine; --register also creates the matching nodes."
    )

    def add_arguments(self, parser):
        virtual_bmc.add_arguments(parser)
        parser.add_argument(
            "--register", action="store_true", help="create or update one node per BMC"
        )

    def handle(self, *args, **options):
        processes = virtual_bmc.start(
            count=options["count"],
            base_port=options["base_port"],
            username=options["username"],
            password=options["password"],
            address=options["address"],
        )
        if options["register"]:
            ports = range(options["base_port"], options["base_port"] + options["count"])
            nodes = virtual_bmc_nodes_register(
                address=options["address"],
                ports=list(ports),
                username=options["username"],
                password=options["password"],
                actor="virtual_bmcs",
            )
            self.stdout.write(f"Registered {len(nodes)} nodes (driver ipmi).")
        self.stdout.write(virtual_bmc.banner(_Options(options)))
        self.stdout.flush()
        virtual_bmc.run_until_stopped(processes)


class _Options:
    """Command options read as attributes, as argparse's namespace would be."""

    def __init__(self, options: dict):
        self.__dict__.update(options)
