import socket

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import BaremetalFactory, NodeFactory

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[tuple, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_liveness(client):
    assert client.get("/healthz").content == b"ok\n"


def test_ready_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "broker": "ok"}


def test_not_ready_when_the_broker_is_down(client, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["database"] == "ok"
    assert body["broker"].startswith("unavailable")


def test_metrics_count_the_inventory_and_move_with_it(client):
    NodeFactory.create_batch(2, availability_zone="az7")
    BaremetalFactory(node=NodeFactory(availability_zone="az7", status="ready"))
    samples = scrape(client)
    assert samples[("bearman_nodes", (("status", "registered"), ("zone", "az7")))] == 2
    assert samples[("bearman_nodes", (("status", "ready"), ("zone", "az7")))] == 1
    assert samples[("bearman_baremetals", (("status", "deploy_start"),))] == 1


def test_ipxe_requests_are_counted(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    key = ("bearman_ipxe_requests_total", (("outcome", "dynamic"),))
    before = scrape(client).get(key, 0)
    client.get("/ipxe/4c4c4544-0042-3510-8052-b3c04f4b4c32")
    assert scrape(client)[key] == before + 1


def test_pool_usage_and_power_operations_are_exported(client):
    from bearman.services.power.request import power_action_request
    from bearman.services.power.run import power_operation_run
    from ipman.services import ip_allocate, pool_create

    pool = pool_create(name="metrics-ipmi", network="10.77.0.0/29", purpose="ipmi")
    ip_allocate(pool=pool, owner="node/x/ipmi")
    key = ("bearman_power_operations_total", (("action", "status"), ("result", "succeeded")))
    before = scrape(client).get(key, 0)
    node = NodeFactory(bmc_driver="fake", bmc_address="127.0.0.1")
    power_operation_run(operation_id=power_action_request(node=node, action="status", actor="t").pk)
    samples = scrape(client)
    assert samples[("bearman_ipman_pool_used", (("pool", "metrics-ipmi"),))] == 1
    assert samples[("bearman_ipman_pool_size", (("pool", "metrics-ipmi"),))] == 6
    assert samples[key] == before + 1
    assert samples[("bearman_power_operation_seconds_count", (("action", "status"),))] >= 1
