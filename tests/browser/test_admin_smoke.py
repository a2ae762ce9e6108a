"""A person's first minutes: log in, open the node list and a node page, in real Chromium."""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import IN_CI
from tests.factories import BaremetalFactory, NodeFactory, sample_facts

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("BEARMAN_TEST_OUTPUT", "test-output"))

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are ours.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("Chromium is missing in CI: `make test` installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed here (make test installs it; CI fails)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        yield page
        browser.close()
        # The test's ORM calls ran under Playwright's loop, in a context of their own: close
        # the connection they opened, or it outlives the test and the test database.
        connections.close_all()


def test_log_in_and_browse_nodes(live_server, django_user_model, browser_page):
    django_user_model.objects.create_superuser("admin", "", "Smoke-Test-Pw-1")
    node = NodeFactory(facts=sample_facts(9), serial="SMOKE0001")
    BaremetalFactory(node=node, hostname="smoke01.example.test")
    NodeFactory.create_batch(4)
    page = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "Smoke-Test-Pw-1")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Inventory and provisioning")

    page.goto(f"{live_server.url}/admin/bearman/node/")
    assert page.locator("#result_list tbody tr").count() == 5
    assert page.locator("th.column-bmc_address").inner_text().strip() == "IPMI IP"
    page.fill("#searchbar", "smoke01")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("text=1 result")
    page.screenshot(path=SCREENSHOTS / "admin-node-list.png", full_page=True)

    page.click(f"text={node.uuid}")
    page.wait_for_selector("text=Network interfaces")
    assert page.locator("td", has_text="tor-r12-a").count() == 1
    page.screenshot(path=SCREENSHOTS / "admin-node-page.png", full_page=True)
