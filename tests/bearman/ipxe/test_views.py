import re

import pytest
from django.db.models import F

from bearman.models import Profile
from bearman.states import DeployStatus, NodeStatus
from tests.factories import BaremetalFactory, NodeFactory, ProfileFactory

from .conftest import IPXE_CLIENT, with_secret

pytestmark = pytest.mark.django_db
UNKNOWN = "4c4c4544-0042-3510-8052-b3c04f4b4c32"


def fetch(client, path, **extra):
    response = client.get(path, **IPXE_CLIENT, HTTP_HOST="10.0.0.2:8000", **extra)
    body = response.content.decode()
    return response, body


@pytest.fixture(autouse=True)
def _any_host(settings):
    settings.ALLOWED_HOSTS = ["10.0.0.2", "bearman.example.test"]
    settings.BEARMAN_PUBLIC_URL = ""
    settings.BEARMAN_GRPC_PUBLIC_ADDRESS = ""


def test_boot_entry_chains_to_an_absolute_url_with_uuid_and_mac(client):
    response, body = fetch(client, "/ipxe/boot.ipxe")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert body.startswith("#!ipxe\n")
    assert "chain --replace http://10.0.0.2:8000/ipxe/${uuid}?mac=${net0/mac}" in body
    assert "goto retry" in body  # keeps trying when Bearman is unreachable


def test_configured_public_url_wins_over_the_host_header(client, settings):
    settings.BEARMAN_PUBLIC_URL = "https://bearman.example.test"
    _, body = fetch(client, "/ipxe/boot.ipxe")
    assert "chain --replace https://bearman.example.test/ipxe/${uuid}" in body


@pytest.mark.parametrize("spelling", [UNKNOWN, UNKNOWN.upper(), UNKNOWN.replace("-", "")])
def test_an_unknown_node_in_any_uuid_form_is_sent_to_register(client, spelling):
    response, body = fetch(client, f"/ipxe/{spelling}?mac=52%3A54%3A00%3A12%3A34%3A56")
    assert response.status_code == 200
    kernel = next(line for line in body.splitlines() if line.startswith("kernel "))
    assert kernel.split()[1] == "http://10.0.0.2:8000/artifacts/first-stage-vmlinuz"
    for argument in [
        "bearman.mode=register",
        "bearman.server=http://10.0.0.2:8000",
        "bearman.grpc=10.0.0.2:50051",
        f"bearman.uuid={UNKNOWN}",
    ]:
        assert argument in kernel.split()
    assert "initrd --name initrd http://10.0.0.2:8000/artifacts/first-stage-initrd.img" in body


@pytest.mark.parametrize("bad", ["not-a-uuid", "4c4c4544-0042", "x" * 300])
def test_a_malformed_uuid_gets_400_and_a_short_ipxe_safe_message(client, bad):
    response, body = fetch(client, f"/ipxe/{bad}")
    assert response.status_code == 400
    assert body.startswith("#!ipxe\necho Bearman: ")
    assert all(len(line) < 260 for line in body.splitlines())
    assert "${" not in body


@pytest.mark.parametrize("odd", ["zz", "RT", "%02%FF%10%00", "%0Aforged log line"])
def test_an_unreadable_mac_still_gets_the_script_and_is_logged_escaped(client, odd, caplog):
    # Real firmware sends raw bytes for ${net0/mac:uristring}: a booting machine must
    # never be stranded by a value Bearman only logs.
    response, body = fetch(client, f"/ipxe/{UNKNOWN}?mac={odd}")
    assert response.status_code == 200
    assert "bearman.mode=register" in body
    [record] = [r for r in caplog.records if "unreadable mac" in r.getMessage()]
    assert "\n" not in record.getMessage()


def test_a_failed_registration_boots_to_register_again(client):
    node = NodeFactory(status=NodeStatus.ERROR)
    _, body = fetch(client, f"/ipxe/{node.uuid}")
    assert "bearman.mode=register" in body


def test_a_pending_baremetal_boots_the_first_stage_in_deploy_mode(client):
    baremetal = BaremetalFactory(node=with_secret(NodeFactory(status=NodeStatus.READY)))
    _, body = fetch(client, f"/ipxe/{baremetal.node.uuid}")
    assert "bearman.mode=deploy" in body
    assert baremetal.hostname in body
    assert "Bmc-Secret-Pw-1" not in body
    assert baremetal.node.bmc_password_encrypted not in body


def test_a_direct_boot_profile_boots_its_own_kernel_with_rendered_variables(client):
    profile = ProfileFactory(
        boot_method="ipxe", append="console=ttyS0 ks={bearman_url}/ks/{uuid} hostname={hostname}"
    )
    baremetal = BaremetalFactory(profile=profile, hostname="db01.example.test")
    uuid = baremetal.node.uuid
    _, body = fetch(client, f"/ipxe/{uuid}")
    kernel = next(line for line in body.splitlines() if line.startswith("kernel "))
    assert kernel == (
        f"kernel {profile.kernel_url} initrd=initrd console=ttyS0 "
        f"ks=http://10.0.0.2:8000/ks/{uuid} hostname=db01.example.test bearman.uuid={uuid}"
        " || goto failed"
    )
    assert f"initrd --name initrd {profile.initrd_url}" in body


@pytest.mark.parametrize("status", [DeployStatus.INSTALLED, DeployStatus.DEPLOYING])
def test_a_node_with_nothing_to_do_boots_its_disk(client, status):
    baremetal = BaremetalFactory(status=status)
    _, body = fetch(client, f"/ipxe/{baremetal.node.uuid}")
    assert "exit" in body.splitlines() and "kernel" not in body


def test_idle_action_poweroff_falls_back_to_exit(client, settings):
    settings.BEARMAN_IPXE_IDLE_ACTION = "poweroff"
    node = NodeFactory(status=NodeStatus.READY)
    _, body = fetch(client, f"/ipxe/{node.uuid}")
    assert "poweroff || exit" in body.splitlines()


def test_no_enrollment_token_unless_the_operator_enables_it(client, settings):
    settings.BEARMAN_ENROLLMENT_TOKEN = "site-enrollment-token-123"
    _, body = fetch(client, f"/ipxe/{UNKNOWN}")
    assert "site-enrollment-token-123" not in body
    settings.BEARMAN_IPXE_SEND_ENROLLMENT_TOKEN = True
    _, body = fetch(client, f"/ipxe/{UNKNOWN}")
    assert "bearman.token=site-enrollment-token-123" in body.split()


@pytest.mark.parametrize(
    ("field", "attack"),
    [
        ("append", "quiet\nshell"),
        ("append", "quiet || shell"),
        ("append", "root=${root-path}"),
        ("kernel_url", "http://x.example/vmlinuz\nshell"),
        ("kernel_url", "http://x.example/${net0/ip}"),
        ("initrd_url", "http://x.example/initrd || shell"),
    ],
)
def test_an_injected_value_that_bypassed_validation_is_never_rendered(client, field, attack):
    baremetal = BaremetalFactory(profile=ProfileFactory(boot_method="ipxe"))
    Profile.objects.filter(pk=baremetal.profile.pk).update(**{field: attack})
    response, body = fetch(client, f"/ipxe/{baremetal.node.uuid}")
    assert response.status_code == 500
    assert "shell" not in body and "${net0" not in body and "root-path" not in body
    assert body.startswith("#!ipxe\necho Bearman: ")


def test_first_stage_settings_are_checked_too(client, settings):
    settings.BEARMAN_FIRST_STAGE_APPEND = "console=ttyS0 && shell"
    response, body = fetch(client, f"/ipxe/{UNKNOWN}")
    assert response.status_code == 500 and "shell" not in body


def test_scripts_are_not_cached(client):
    response, _ = fetch(client, f"/ipxe/{UNKNOWN}")
    assert response["Cache-Control"] == "no-store"


def test_only_get_and_head(client):
    assert client.post(f"/ipxe/{UNKNOWN}", HTTP_HOST="10.0.0.2:8000").status_code == 405


def test_every_script_is_one_command_per_line(client):
    node = NodeFactory()
    BaremetalFactory(node=node)
    Profile.objects.update(append=F("append"))
    _, body = fetch(client, f"/ipxe/{node.uuid}")
    # The one line that is not a plain command: the timeline's mark, exactly as written.
    mark = (
        rf"^imgfetch --name fetched http://10\.0\.0\.2:8000/ipxe/{node.uuid}/fetched"
        r"\?script=deploy && imgfree fetched \|\| echo Bearman: could not record the fetch$"
    )
    assert all(
        re.match(r"^(#|:|echo |initrd |kernel |boot|sleep |goto |$)", line) or re.match(mark, line)
        for line in body.splitlines()
    ), body
