"""The boot timeline at 1366×768: a failed run's steps, durations and diagnosis fit the page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bearman.models import BootFlow, BootStep, BootStepName
from bearman.states import DeployStatus
from tests.browser.test_admin_smoke import SCREENSHOTS, browser_page  # noqa: F401 (fixture)
from tests.browser.test_console import LAPTOP, assert_fits, logged_in
from tests.factories import BaremetalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FAILURE = (
    "install script exited 3: mdadm: cannot open /dev/disk/by-id/"
    "nvme-SAMSUNG_MZQL23T8HCLS-00A07_S64HNE0T812345-part3: No such file or directory; "
    "the node stays up for SSH on 10.40.12.117"
)


def test_a_failed_runs_timeline_fits_a_laptop_screen(
    live_server,
    admin_user,
    browser_page,  # noqa: F811 (the fixture imported above)
):
    started = timezone.now() - timedelta(minutes=20)
    baremetal = BaremetalFactory(
        hostname="ceph-osd-eu-central-fra3-az2-r12-u07.storage.example.test",
        status=DeployStatus.UNRECOVERABLE_ERROR,
        deploy_started_at=started,
        last_error=FAILURE,
    )
    steps = [
        (BootStepName.POWERED_ON, 0, "Power on by alice"),
        (BootStepName.IPXE_FETCHED, 95, "deploy script"),
        (BootStepName.PROFILE_CLAIMED, 160, "from 10.40.12.117"),
        (BootStepName.DETAIL_FETCHED, 161, ""),
        (BootStepName.ARTIFACTS_DOWNLOADED, 230, ""),
        (BootStepName.INSTALL_STARTED, 231, ""),
        (BootStepName.FAILED, 900, FAILURE),
    ]
    BootStep.objects.bulk_create(
        BootStep(
            node_uuid=baremetal.node.uuid,
            flow=BootFlow.BAREMETAL,
            baremetal=baremetal,
            step=step,
            at=started + timedelta(seconds=seconds),
            detail=detail,
        )
        for step, seconds, detail in steps
    )
    page = browser_page
    page.set_viewport_size(LAPTOP)
    logged_in(page, live_server, admin_user)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in [
        ("baremetal", f"/admin/bearman/baremetal/{baremetal.pk}/change/"),
        ("node", f"/admin/bearman/node/{baremetal.node.pk}/change/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        timeline = page.locator(".boot-timeline").first
        timeline.scroll_into_view_if_needed()
        assert "+0:11:09" in timeline.inner_text()  # install script started → ReportFailed
        assert "The agent reported a failure" in timeline.inner_text()
        assert_fits(page, name)
        box = timeline.bounding_box()
        assert box["x"] + box["width"] <= LAPTOP["width"], (name, box)
        timeline.screenshot(path=str(SCREENSHOTS / f"timeline-{name}.png"))
    print(f"timeline screenshots in {SCREENSHOTS.resolve()}")
