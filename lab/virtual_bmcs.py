"""Nodes for the virtual BMCs of `manage.py virtual_bmcs --register`."""

from django.db import transaction

from bearman.models import BmcDriver, Node
from bearman.services.nodes import node_set_bmc_password
from lab.virtual_bmc import machine_uuid

# Our virtual BMCs speak cipher suite 3 only (lab.pyghmi_server, 1): asking for
# it straight away saves the refused suite-17 exchange at every login.
VIRTUAL_BMC_OPTIONS = {"cipher_suite": 3}


def virtual_bmc_nodes_register(
    *, address: str, ports: list[int], username: str, password: str, actor: str
) -> list[Node]:
    """One IPMI node per virtual BMC, created or brought up to date (idempotent)."""
    nodes = []
    with transaction.atomic():
        for port in ports:
            node, _ = Node.objects.update_or_create(
                uuid=str(machine_uuid(address, port)),
                defaults={
                    "vendor": "Bearman",
                    "product_name": "Virtual BMC",
                    "serial": f"VBMC{port}",
                    "bmc_driver": BmcDriver.IPMI,
                    "bmc_address": address,
                    "bmc_port": port,
                    "bmc_username": username,
                    "bmc_options": VIRTUAL_BMC_OPTIONS,
                },
            )
            nodes.append(node_set_bmc_password(node=node, password=password, actor=actor))
    return nodes
