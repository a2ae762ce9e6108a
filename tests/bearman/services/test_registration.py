"""nodes_register: many agents in one transaction, each answered as if it came alone."""

import pytest

from bearman.crypto import decrypt_secret
from bearman.errors import SecretUnreadable
from bearman.models import Event, EventKind, Node, PowerOperation
from bearman.services.registration import (
    RegistrationRequest,
    nodes_register,
    registration_report_failed,
)
from bearman.states import NodeStatus
from ipman.errors import PoolExhausted
from ipman.selectors import allocation_list
from tests.bearman.grpc.pools import make_pool
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def request(n: int, *, serial: str = "", nic: str = "eth0", address: str = "10.10.0.9"):
    return RegistrationRequest(
        identity={"uuid": uuid(n), "serial": serial, "vendor": "Dell Inc.", "product_name": ""},
        facts={"nics": [{"name": nic, "mac": f"02:00:00:00:00:{n:02x}", "link": True}]},
        agent_address=address,
        agent_version="0.1.0",
    )


@pytest.fixture
def ipmi_pool():
    make_pool(name="prov-az1", network="10.10.0.0/24", purpose="provisioning", zone="az1")
    return make_pool(
        name="ipmi-az1", network="10.20.0.0/24", purpose="ipmi", zone="az1", gateway="10.20.0.1"
    )


def test_a_batch_registers_each_node_with_its_own_address_and_credentials(ipmi_pool):
    answers = nodes_register(requests=[request(1), request(2), request(3)])

    assert [a.uuid for a in answers] == [uuid(1), uuid(2), uuid(3)]
    assert [a.bmc.address for a in answers] == ["10.20.0.2", "10.20.0.3", "10.20.0.4"]
    assert len({a.bmc.password for a in answers}) == 3
    for answer in answers:
        node = Node.objects.get(uuid=answer.uuid)
        assert (node.availability_zone, node.bmc_address) == ("az1", answer.bmc.address)
        assert decrypt_secret(node.bmc_password_encrypted) == answer.bmc.password
        assert node.events.filter(kind=EventKind.REGISTERED).count() == 1
        assert node.power_operations.filter(action="status").count() == 1


def test_the_same_uuid_twice_in_a_batch_is_one_node_answered_alike(ipmi_pool):
    requests = [request(1, serial="A"), request(2), request(1, nic="eth9"), request(1)]

    answers = nodes_register(requests=requests)

    assert answers[0] == answers[2] == answers[3]
    assert answers[1].bmc.address != answers[0].bmc.address
    assert Node.objects.count() == 2
    node = Node.objects.get(uuid=uuid(1))
    assert [a.address for a in allocation_list(owner=f"node/{uuid(1)}/ipmi")] == [node.bmc_address]
    # As if one after another: the last facts, the serial no later request emptied.
    assert (node.facts["nics"][0]["name"], node.serial) == ("eth0", "A")
    assert node.events.filter(kind=EventKind.REGISTERED).count() == 3
    assert node.power_operations.count() == 1


def test_a_node_first_seen_failing_is_in_its_agents_zone_and_registers_there(ipmi_pool):
    make_pool(name="ipmi-default", network="10.40.0.0/24", purpose="ipmi", zone="default")
    registration_report_failed(uuid=uuid(1), message="no disks", agent_address="10.10.0.9")
    assert Node.objects.get(uuid=uuid(1)).availability_zone == "az1"

    (answer,) = nodes_register(requests=[request(1)])

    assert answer.bmc.address == "10.20.0.2"  # az1's IPMI pool, not the default zone's
    assert Node.objects.get(uuid=uuid(1)).status == NodeStatus.REGISTERED


def test_registering_again_keeps_address_and_credentials(ipmi_pool):
    (first,) = nodes_register(requests=[request(1, serial="A")])
    (again,) = nodes_register(requests=[request(1, serial="")])
    assert again == first
    assert Node.objects.get().serial == "A"


def test_a_full_pool_refuses_the_requests_it_has_no_room_for_and_no_other(db):
    make_pool(name="ipmi-tiny", network="10.30.0.0/29", purpose="ipmi", zone="default")  # 6
    for n in range(5):
        nodes_register(requests=[request(100 + n, address="")])
    known = nodes_register(requests=[request(100, address="")])[0]

    answers = nodes_register(requests=[request(n, address="") for n in (1, 100, 2, 3)])

    assert answers[0].bmc.address == "10.30.0.6"
    assert answers[1] == known
    assert all(isinstance(a, PoolExhausted) for a in answers[2:])
    # The refused ones changed nothing.
    assert not Node.objects.filter(uuid__in=[uuid(2), uuid(3)]).exists()
    assert Node.objects.count() == 6
    assert Event.objects.count() == 5 + 1 + 2
    assert len(allocation_list()) == 6


def test_one_unreadable_secret_fails_its_own_request_only(ipmi_pool):
    before = NodeFactory(uuid=uuid(2), bmc_password_encrypted="not-a-fernet-token")

    answers = nodes_register(requests=[request(1), request(2), request(3)])

    assert isinstance(answers[1], SecretUnreadable)
    assert [a.bmc.address for a in (answers[0], answers[2])] == ["10.20.0.2", "10.20.0.3"]
    untouched = Node.objects.get(uuid=uuid(2))
    assert (untouched.bmc_address, untouched.facts) == (before.bmc_address, before.facts)
    assert untouched.events.count() == 0
    assert not allocation_list(owner=f"node/{uuid(2)}/ipmi").exists()


def test_a_failed_node_is_registered_again_once(ipmi_pool):
    NodeFactory(uuid=uuid(1), status=NodeStatus.ERROR)

    nodes_register(requests=[request(1), request(1)])

    node = Node.objects.get(uuid=uuid(1))
    assert node.status == NodeStatus.REGISTERED
    assert node.events.filter(kind=EventKind.NODE_STATUS).count() == 1
    assert node.events.filter(kind=EventKind.REGISTERED).count() == 2


def test_a_node_with_a_power_operation_in_flight_gets_no_second_one(ipmi_pool):
    nodes_register(requests=[request(1)])  # its BMC check is pending

    answers = nodes_register(requests=[request(1), request(2)])

    assert [a.uuid for a in answers] == [uuid(1), uuid(2)]
    assert PowerOperation.objects.filter(node__uuid=uuid(1)).count() == 1
    assert PowerOperation.objects.filter(node__uuid=uuid(2)).count() == 1


# What a registration decides for a new node; every other column is the model's default.
REGISTRATION_WRITES = {
    "id",
    "uuid",
    "availability_zone",
    "created_from",
    "first_registered_at",
    "last_registered_at",
    "created_at",
    "updated_at",
    "status",
    "serial",
    "vendor",
    "product_name",
    "facts",
    "mac_addresses",
    "bmc_address",
    "bmc_username",
    "bmc_password_encrypted",
}


def test_a_new_node_has_the_models_default_in_every_column_registration_leaves(ipmi_pool):
    # A column added to Node with a default needs nothing from the registration's insert
    # (on PostgreSQL once a hand-written list of defaults, which missed one).
    nodes_register(requests=[request(1)])
    registered, fresh = Node.objects.get(uuid=uuid(1)), Node()
    left = [f.attname for f in Node._meta.concrete_fields if f.attname not in REGISTRATION_WRITES]
    assert "rack_position" in left and "bmc_port" in left
    assert {f: getattr(registered, f) for f in left} == {f: getattr(fresh, f) for f in left}


def test_generated_bmc_passwords_are_letters_and_digits_ipmitool_takes_as_arguments(ipmi_pool):
    # A password starting with "-" is read by ipmitool as an option: the agent could not
    # set it (seen with a real VM), and "_" or "-" anywhere else is no better for people.
    answers = [
        answer
        for first in range(1, 201, 50)
        for answer in nodes_register(requests=[request(n) for n in range(first, first + 50)])
    ]
    passwords = [answer.bmc.password for answer in answers]
    assert len(set(passwords)) == 200
    assert all(len(p) == 16 and p.isascii() and p.isalnum() for p in passwords)
