"""An operator selects nodes, runs "Power on" and watches the operations succeed."""

import re

import pytest

from bearman.services import node_set_bmc_password
from tests.bearman.power.helpers import PASSWORD, USER, ipmitool, virtual_bmcs
from tests.bearman.power.worker import celery_worker, shared_broker
from tests.browser.test_admin_smoke import SCREENSHOTS, browser_page  # noqa: F401 (fixture)
from tests.factories import NodeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_select_nodes_power_on_and_watch_them_succeed(
    live_server,
    django_user_model,
    browser_page,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    django_user_model.objects.create_superuser("admin", "", "Power-Test-Pw-1")
    page = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with (
        virtual_bmcs(2) as port,
        shared_broker(tmp_path) as env,
        celery_worker(env, log=tmp_path / "worker.log"),
    ):
        nodes = []
        for offset in range(2):
            node = NodeFactory(bmc_address="127.0.0.1", bmc_port=port + offset, bmc_username=USER)
            nodes.append(node_set_bmc_password(node=node, password=PASSWORD, actor="test"))
        NodeFactory(serial="NOT-SELECTED")

        page.goto(f"{live_server.url}/admin/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "Power-Test-Pw-1")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}/admin/bearman/node/")
        for node in nodes:
            row = page.locator("#result_list tbody tr", has_text=node.uuid)
            row.locator("input.action-select").check()
        page.select_option("select[name=action]", label="Power on")
        page.click("button[name=index]")
        page.wait_for_selector("text=Power on: 2 operations queued.")
        page.screenshot(path=SCREENSHOTS / "admin-power-on-queued.png", full_page=True)

        page.click("text=Watch them")
        for _ in range(60):
            states = page.locator("#result_list td.field-operation_state").all_inner_texts()
            if states == ["Succeeded", "Succeeded"]:
                break
            page.wait_for_timeout(500)
            page.reload()
        assert states == ["Succeeded", "Succeeded"]
        assert page.locator("td.field-outcome", has_text=re.compile("power is on")).count() == 2
        page.screenshot(path=SCREENSHOTS / "admin-power-operations.png", full_page=True)
        for offset in range(2):
            status = ipmitool(port + offset, "chassis", "power", "status").strip()
            assert status == "Chassis Power is on"
