import pytest

from bearman.crypto import decrypt_secret
from bearman.models import Node
from bearman.services import node_set_bmc_password, node_set_facts
from tests.factories import NodeFactory, sample_facts

pytestmark = pytest.mark.django_db


def test_uuid_is_stored_canonical_and_found_in_any_spelling():
    node = NodeFactory(uuid="4C4C4544-0042-3510-8052-B3C04F4B4C32")
    node.full_clean()
    node.save()
    stored = Node.objects.values_list("uuid", flat=True).get(pk=node.pk)
    assert stored == "4c4c4544-0042-3510-8052-b3c04f4b4c32"
    assert Node.objects.get(uuid="4C4C454400423510 8052B3C04F4B4C32".replace(" ", "")) == node


def test_bmc_password_is_encrypted_at_rest():
    node = NodeFactory()
    node_set_bmc_password(node=node, password="calvin-S3cret", actor="alice")
    raw = Node.objects.values_list("bmc_password_encrypted", flat=True).get(pk=node.pk)
    assert "calvin-S3cret" not in raw
    assert decrypt_secret(raw) == "calvin-S3cret"
    assert node.events.get().message == "BMC password changed"


def test_setting_facts_indexes_their_macs():
    node = NodeFactory(facts={}, mac_addresses="")
    node_set_facts(node=node, facts=sample_facts(3))
    assert Node.objects.get(pk=node.pk).mac_addresses == "b8:ca:3a:00:00:03 b8:ca:3b:00:00:03"
