"""An operator types an install script into the admin, and the agent can run it.

A browser sends a textarea's line breaks as CRLF: stored as sent, `#!/bin/sh` became the
interpreter `/bin/sh\\r`, which does not exist, and the script never ran on any machine.
"""

import pytest

from bearman.models import Profile
from bearman_agent.install_script import run_install_script
from tests.browser.test_admin_smoke import SCREENSHOTS, browser_page  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT_LINES = ["#!/bin/sh", "set -e", 'echo "installed $BEARMAN_HOSTNAME" > done.txt']


def test_a_script_typed_in_the_admin_is_stored_with_lf_and_runs(
    live_server,
    django_user_model,
    browser_page,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    django_user_model.objects.create_superuser("admin", "", "Script-Test-Pw-1")
    page = browser_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "Script-Test-Pw-1")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Inventory and provisioning")

    page.goto(f"{live_server.url}/admin/bearman/profile/add/")
    page.fill("#id_name", "typed-script")
    page.fill("#id_kernel_url", "http://boot.example.test/vmlinuz")
    # Typed line by line, Enter between lines, as a person does.
    page.click("#id_install_script")
    for line in SCRIPT_LINES:
        page.keyboard.type(line)
        page.keyboard.press("Enter")
    page.click("input[name=_save]")
    page.wait_for_selector("text=was added successfully")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "admin-profile-script.png", full_page=True)

    stored = Profile.objects.get(name="typed-script").install_script
    assert "\r" not in stored
    assert stored == "\n".join(SCRIPT_LINES)  # the admin trims the final newline
    # The agent's own runner, as on a machine being deployed: it exits 0.
    run_install_script(stored, workdir=tmp_path, env={"BEARMAN_HOSTNAME": "web01"}, timeout=30)
    assert (tmp_path / "done.txt").read_text() == "installed web01\n"
