"""The operator's console on a 1366×768 laptop: every list and page fits, nothing hidden.

Realistic data: 200 nodes with long vendor names, Baremetals in every state with long
hostnames, one failed with a long reason. Screenshots of each page (and one in dark mode)
are written for review; the test prints where.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bearman.models import Baremetal, Event, EventKind, Node, PowerOperation
from bearman.states import DeployStatus, NodeStatus
from tests.browser.test_admin_smoke import SCREENSHOTS, browser_page  # noqa: F401 (fixture)
from tests.factories import FlavorFactory, NodeFactory, ProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
FAILURE = (
    "GetDetail: the agent's download of "
    "http://images.example.test/releases/ubuntu-24.04.1-live-server-amd64/casper/initrd.zst"
    "?signature=0f3c9a7e5b1d4c2a8e6f0b9d7c5a3e1f failed after 3 attempts: connection reset "
    "by peer; the node stays up for SSH on its deploy address."
)
# The measurement each page must pass: nothing wider than the window, inside or out.
MEASURE = """() => {
  const width = window.innerWidth;
  const tables = [...document.querySelectorAll('table')].map(table => {
    const box = table.getBoundingClientRect();
    const holder = table.parentElement.getBoundingClientRect();
    return {id: table.id || table.className, right: box.right, holder: holder.right,
            scroll: table.scrollWidth};
  });
  const wrapped = [...document.querySelectorAll('.uuid')]
    .filter(uuid => uuid.getClientRects().length > 1).length;
  return {width, page: document.documentElement.scrollWidth, tables, wrapped};
}"""


def realistic_inventory() -> tuple[Node, Baremetal]:
    """200 nodes, 80 of them deployed in every state; returns the failed node and its run."""
    flavor = FlavorFactory(name="storage-nvme-large-2x25g")
    profile = ProfileFactory(name="ubuntu-24-04-storage-ceph-osd")
    Node.objects.bulk_create(
        NodeFactory.build(
            flavor=flavor,
            vendor="Hewlett Packard Enterprise",
            product_name="ProLiant DL380 Gen10 Plus",
            availability_zone="eu-central-fra3-az2",
            status=list(NodeStatus)[n % len(NodeStatus)],
            power_state=("on", "off", "unknown")[n % 3],
        )
        for n in range(200)
    )
    now = timezone.now()
    states = list(DeployStatus)
    Baremetal.objects.bulk_create(
        Baremetal(
            node=node,
            profile=profile,
            hostname=f"ceph-osd-r{n:02d}-u{n % 42:02d}.fra3.storage.prod.example.internal",
            status=states[n % len(states)],
            deploy_started_at=now - timedelta(minutes=n + 30),
            deploying_at=now - timedelta(minutes=n + 20),
            installed_at=now - timedelta(minutes=n) if n % 4 == 2 else None,
            failed_at=now - timedelta(minutes=n) if n % 4 == 3 else None,
            last_error=FAILURE if n % 4 == 3 else "",
        )
        for n, node in enumerate(Node.objects.order_by("uuid")[:80])
    )
    failed = Baremetal.objects.select_related("node").filter(failed_at__isnull=False).first()
    node = failed.node
    Event.objects.bulk_create(
        Event(node=node, kind=EventKind.BAREMETAL, actor="agent", message=FAILURE) for _ in range(5)
    )
    PowerOperation.objects.create(node=node, action="cycle", requested_by="admin")
    return node, failed


def logged_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])


def assert_fits(page, name: str) -> dict:
    measured = page.evaluate(MEASURE)
    assert measured["page"] <= measured["width"], f"{name}: the page scrolls sideways"
    for table in measured["tables"]:
        assert table["right"] <= measured["width"], f"{name}: {table['id']} is cut off"
        assert table["right"] <= table["holder"] + 1, f"{name}: {table['id']} overflows its box"
    assert measured["wrapped"] == 0, f"{name}: a UUID wraps over lines"
    return measured


def assert_columns_visible(page, name: str, columns: list[str]) -> None:
    for column in columns:
        for cell in (f"th.column-{column}", f"#result_list tbody tr:first-child .field-{column}"):
            box = page.locator(cell).bounding_box(timeout=5000)
            assert box is not None, f"{name}: {cell} is missing"
            assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"], (name, cell)


def test_console_fits_a_laptop_screen(
    live_server,
    django_user_model,
    browser_page,  # noqa: F811 (the fixture imported above)
    capsys,
):
    node, failed = realistic_inventory()
    logged_in(browser_page, live_server, django_user_model.objects.create_superuser("admin"))
    page = browser_page
    page.set_viewport_size(LAPTOP)
    shots = SCREENSHOTS / "console"
    shots.mkdir(parents=True, exist_ok=True)

    def visit(name: str, path: str) -> None:
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=shots / f"{name}.png")  # what the operator sees first
        page.screenshot(path=shots / f"{name}-whole.png", full_page=True)
        assert_fits(page, name)

    visit("node-list", "/admin/bearman/node/")
    assert page.locator("#result_list tbody tr").count() == 100
    assert_columns_visible(page, "node list", ["status_badge", "power_badge", "baremetal_status"])
    uuid = page.locator("#result_list tbody tr:first-child .uuid")
    # Eight characters to see; the whole UUID on hover and in a copy of the text.
    assert uuid.bounding_box()["width"] < 80
    assert len(uuid.get_attribute("title")) == 36 == len(uuid.text_content())
    light = page.locator(".badge-ok").first.evaluate("e => getComputedStyle(e).backgroundColor")

    visit("node-page", f"/admin/bearman/node/{node.pk}/change/")
    baremetal = page.locator(".field-current_baremetal")
    assert baremetal.locator(f"a:text('{failed.hostname}')").is_visible()
    reason = baremetal.locator(".failure-reason")
    assert "connection reset by peer" in reason.inner_text()
    assert reason.bounding_box()["x"] + reason.bounding_box()["width"] <= LAPTOP["width"]
    assert page.locator(".power-tools .object-tools").count() == 3

    page.locator("fieldset", has_text="Set BMC password").screenshot(path=shots / "node-bmc.png")
    checkbox = page.locator("#id_clear_bmc_password").bounding_box()
    password = page.locator("#id_new_bmc_password").bounding_box()
    assert abs(checkbox["x"] - password["x"]) <= 2  # the checkbox starts where the inputs do

    visit("baremetal-list", "/admin/bearman/baremetal/")
    assert_columns_visible(page, "baremetal list", ["node_uuid", "status_badge", "changed"])

    visit("baremetal-page", f"/admin/bearman/baremetal/{failed.pk}/change/")
    assert "connection reset by peer" in page.locator(".field-last_error").inner_text()

    visit("profile-add", "/admin/bearman/profile/add/")
    assert page.locator("text=Created at").count() == 0
    assert page.locator("#id_kernel_url").bounding_box()["width"] >= 600
    for field in ("kernel_url", "initrd_url", "append", "install_script"):
        assert page.locator(f"#id_{field}_helptext").inner_text().strip(), field

    visit("power-operations", "/admin/bearman/poweroperation/")
    assert_columns_visible(page, "operations", ["node_uuid", "operation_state", "outcome"])
    visit("events", "/admin/bearman/event/")
    assert_columns_visible(page, "events", ["node_uuid", "kind", "text"])

    page.emulate_media(color_scheme="dark")
    visit("node-list-dark", "/admin/bearman/node/")
    dark = page.locator(".badge-ok").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert (light, dark) == ("rgb(221, 255, 221)", "rgb(0, 107, 27)")  # the admin's own
    with capsys.disabled():
        print(f"\nconsole screenshots: {shots.resolve()}")
