"""What the console tells an operator: where a node's Baremetal stands, how nodes arrive,
when things happened (to the second), and how to fill a profile."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from bearman.admin.display import ago, relative, short_uuid
from bearman.states import DeployStatus
from tests.factories import BaremetalFactory, NodeFactory

pytestmark = pytest.mark.django_db
NODES = reverse("admin:bearman_node_changelist")
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def node_page(client, node) -> str:
    return client.get(reverse("admin:bearman_node_change", args=[node.pk])).content.decode()


def test_an_empty_node_list_says_how_nodes_arrive(admin_client):
    page = admin_client.get(NODES).content.decode()
    assert "No nodes yet" in page and "make run LAB=5" in page
    assert "/ipxe/&lt;uuid&gt;" in page


def test_a_filter_that_matches_nothing_is_not_mistaken_for_an_empty_inventory(admin_client):
    NodeFactory(vendor="Dell Inc.")
    page = admin_client.get(NODES, {"vendor": "Nobody"}).content.decode()
    assert "No nodes yet" not in page and "0 nodes" in page


def test_the_node_page_shows_its_failed_baremetal_and_why(admin_client):
    baremetal = BaremetalFactory(
        hostname="db07.r3.example.test",
        status=DeployStatus.UNRECOVERABLE_ERROR,
        failed_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        last_error="install script exited with status 2: mkfs: /dev/sdz missing",
    )
    page = node_page(admin_client, baremetal.node)
    baremetal_url = reverse("admin:bearman_baremetal_change", args=[baremetal.pk])
    profile_url = reverse("admin:bearman_profile_change", args=[baremetal.profile.pk])
    assert f'<a href="{baremetal_url}">db07.r3.example.test</a>' in page
    assert f'<a href="{profile_url}">{baremetal.profile.name}</a>' in page
    assert '<span class="badge badge-bad">Unrecoverable error</span>' in page
    assert "2026-03-04 05:06:07 UTC" in page  # since when, to the second
    assert "mkfs: /dev/sdz missing" in page


def test_a_node_without_baremetal_says_how_to_deploy_it(admin_client):
    node = NodeFactory()
    page = node_page(admin_client, node)
    assert "Not deployed." in page
    assert f"{reverse('admin:bearman_baremetal_add')}?node={node.pk}" in page


def test_the_node_page_groups_its_power_buttons(admin_client):
    page = node_page(admin_client, NodeFactory())
    groups = [page.index(f'aria-label="{group}"') for group in ("Power", "Boot device", "Refresh")]
    assert groups == sorted(groups)
    assert groups[0] < page.index(">Power cycle</button>") < groups[1]
    assert groups[1] < page.index(">Boot from disk next</button>") < groups[2]
    assert groups[2] < page.index(">Refresh power state</button>")


def test_the_node_page_shows_power_as_a_badge_with_when_it_was_seen(admin_client):
    node = NodeFactory(power_state="on", power_state_at=NOW)
    page = node_page(admin_client, node)
    assert '<span class="badge badge-ok">On</span>' in page
    assert "2026-03-04 05:06:07 UTC (<time" in page


def test_baremetal_times_are_shown_to_the_second(admin_client):
    baremetal = BaremetalFactory(deploy_started_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    url = reverse("admin:bearman_baremetal_change", args=[baremetal.pk])
    assert "2026-03-04 05:06:07 UTC" in admin_client.get(url).content.decode()


def test_the_profile_add_page_has_no_empty_times_and_explains_its_fields(admin_client):
    page = admin_client.get(reverse("admin:bearman_profile_add")).content.decode()
    assert "Created at" not in page and "Updated at" not in page
    for words in ("address the node downloads its kernel from", "BEARMAN_DETAIL_JSON"):
        assert words in page
    assert 'class="vURLField wide"' in page


@pytest.mark.parametrize(
    ("before", "words"),
    [
        (timedelta(seconds=12), "12 s ago"),
        (timedelta(minutes=3, seconds=59), "3 min ago"),
        (timedelta(hours=5, minutes=1), "5 h ago"),
        (timedelta(days=2, hours=23), "2 d ago"),
        (timedelta(minutes=-4), "in 4 min"),
    ],
)
def test_relative_times_read_short(before, words):
    assert relative(NOW - before, NOW) == words


def test_a_relative_time_carries_the_exact_one():
    html = str(ago(NOW - timedelta(minutes=3), NOW))
    assert 'title="2026-03-04 05:03:07 UTC"' in html and ">3 min ago</time>" in html
    assert ago(None) == "—"


def test_a_short_uuid_keeps_the_whole_one_for_hover_and_copy():
    uuid = "4c4c4544-0042-3510-8052-b3c04f4b4c32"
    html = str(short_uuid(uuid))
    assert f'title="{uuid}"' in html
    assert '>4c4c4544<span class="uuid-tail">-0042-3510-8052-b3c04f4b4c32</span>' in html
