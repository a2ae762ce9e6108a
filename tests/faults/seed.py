"""What the fault suite needs in its own database, made through Bearman's services.

Run inside a Bearman process (`manage.py shell -c`), never in pytest's: the suite's
database is the one its gunicorn, gRPC server and workers use. Prints one JSON line.
"""

import json

from django.contrib.auth import get_user_model
from django.db import transaction

from bearman.services.api_tokens import api_token_issue
from bearman.services.nodes import node_create
from ipman.services import pool_create

ACTOR = "fault-suite"
IPMI_POOL = ("faults-ipmi", "10.200.0.0/16")


def fake_uuid(index: int) -> str:
    return f"00000000-fa17-4000-8000-{index:012x}"


def seed(*, fake_nodes: int, slow_bmc_port: int, password: str) -> None:
    """An operator with an API token, an IPMI pool with room, fake and one slow IPMI node."""
    user = get_user_model().objects.create_superuser(ACTOR, "faults@example.test", password)
    _token, key = api_token_issue(user=user)
    pool_create(name=IPMI_POOL[0], network=IPMI_POOL[1], purpose="ipmi")
    uuids = [fake_uuid(index) for index in range(fake_nodes)]
    with transaction.atomic():
        for index, uuid in enumerate(uuids):
            address = f"10.99.{index // 250}.{index % 250 + 1}"
            node_create(uuid=uuid, actor=ACTOR, bmc_driver="fake", bmc_address=address)
    slow = fake_uuid(0xFFFF)
    node_create(
        uuid=slow,
        actor=ACTOR,
        bmc_driver="ipmi",
        bmc_address="127.0.0.1",
        bmc_port=slow_bmc_port,
        bmc_username="admin",
        bmc_password="Slow-Bmc-Pw-1",
        bmc_options={"timeout": 8},
    )
    print(json.dumps({"token": key, "fake_nodes": uuids, "slow_node": slow}))
