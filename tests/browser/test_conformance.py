"""A node that breaks two rules at registration, seen and released in the admin, in Chromium.

The registration goes over gRPC to a real `run_grpc` with facts an HPE DL380 Gen10's tools
printed (recorded outputs, the agent's own parsers); the operator then accepts both
differences and re-checks from the node page, and a real worker's BMC check against a
virtual BMC makes the node READY.
"""

import pytest

from bearman.models import ConformanceWaiver, Node, Notice
from bearman.services import node_set_bmc_password
from bearman.states import NodeStatus
from bearman_agent.convert import facts_to_proto
from bearman_agent.wire.bearman.v1 import agent_pb2
from tests.bearman.conformance.conftest import HPE_UUID, hpe_flavor, hpe_plan, ipmi_pool  # noqa: F401
from tests.bearman.conformance.machines import agent_facts, hpe_dl380
from tests.bearman.grpc.conftest import ENROLL, agent, grpc_target  # noqa: F401
from tests.bearman.power.helpers import PASSWORD as BMC_PASSWORD
from tests.bearman.power.helpers import USER as BMC_USER
from tests.bearman.power.helpers import virtual_bmcs
from tests.bearman.power.worker import celery_worker, shared_broker
from tests.browser.test_admin_smoke import SCREENSHOTS, browser_page  # noqa: F401
from tests.factories import NodeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Conformance-Pw-1"


def test_a_held_node_shows_both_differences_and_is_released_by_waivers_and_a_recheck(
    live_server,
    django_user_model,
    browser_page,  # noqa: F811 - the fixtures imported above
    agent,  # noqa: F811
    ipmi_pool,  # noqa: F811
    hpe_flavor,  # noqa: F811
    hpe_plan,  # noqa: F811
    tmp_path,
    settings,
):
    settings.BEARMAN_BMC_CHECK_DELAY_SECONDS = 0
    hpe_flavor.firmware_minimums = {"bmc": "2.80"}  # iLO 5 reports 2.78
    hpe_flavor.save()
    NodeFactory(uuid=HPE_UUID, serial="", flavor=hpe_flavor, facts={}, bmc_address=None)
    machine = hpe_dl380().nic_changed("ens1f1", speed_mbps=10000)
    agent.Register(
        agent_pb2.RegisterRequest(
            facts=facts_to_proto(agent_facts(machine, tmp_path / "net")),
            agent_address="10.10.0.9",
            agent_version="0.1.0",
        ),
        metadata=ENROLL,
        timeout=20,
    )
    node = Node.objects.get(uuid=HPE_UUID)
    assert node.status == NodeStatus.MAINTENANCE
    (notice,) = Notice.objects.filter(node=node)
    assert "(ens1f1)" in notice.message and "(bmc)" in notice.message

    django_user_model.objects.create_superuser("admin", "", PASSWORD)
    page = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/bearman/node/?conformance=failed")
    page.click(f"text={node.uuid[:8]}")
    page.wait_for_selector("table.conformance-differences")
    rows = page.locator("table.conformance-differences tbody tr")
    assert rows.all_inner_texts() == [
        "NIC too slow\tens1f1\tat least 25 Gb/s\t10 Gb/s\tAccept…",
        "Firmware needs update\tbmc\t2.80 or newer\t2.78\tAccept…",
    ]
    page.screenshot(path=SCREENSHOTS / "admin-conformance-held.png", full_page=True)

    for component, reason in (("ens1f1", "10G optic until Friday"), ("bmc", "iLO update next")):
        rows.filter(has_text=component).locator("text=Accept…").click()
        page.fill("#id_reason", reason)
        page.click("input[name=_save]")
        page.wait_for_selector("text=Waived. Re-check the node to count it.")

    with (
        virtual_bmcs(1) as port,
        shared_broker(tmp_path) as env,
        celery_worker(env, log=tmp_path / "worker.log"),
    ):
        # The BMC the agent configured, standing in for the machine's own.
        Node.objects.filter(pk=node.pk).update(
            bmc_address="127.0.0.1", bmc_port=port, bmc_username=BMC_USER
        )
        node_set_bmc_password(
            node=Node.objects.get(pk=node.pk), password=BMC_PASSWORD, actor="test"
        )
        page.click("button[name=recheck]")
        page.wait_for_selector("text=Conformance re-checked: passed.")
        assert "waived by admin: 10G optic until Friday" in page.content()
        page.screenshot(path=SCREENSHOTS / "admin-conformance-waived.png", full_page=True)
        assert ConformanceWaiver.objects.filter(node=node).count() == 2

        # The re-check queued the BMC check the hold had kept back; the worker's answer
        # from the BMC makes the node READY.
        for _ in range(60):
            node.refresh_from_db()
            if node.status == NodeStatus.READY:
                break
            page.wait_for_timeout(500)
        assert node.status == NodeStatus.READY, (tmp_path / "worker.log").read_text()[-3000:]
