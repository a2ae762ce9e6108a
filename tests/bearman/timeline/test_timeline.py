"""The boot timeline: steps recorded once where they happen, read back with a diagnosis."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bearman.metrics import render_metrics
from bearman.models import BootFlow, BootStep, BootStepName
from bearman.services.baremetals import baremetal_redeploy
from bearman.services.deadlines import baremetals_flag_stuck
from bearman.services.nodes import node_delete
from bearman.services.timeline import (
    StepRecord,
    baremetal_step_record,
    baremetal_timeline,
    boot_steps_of_strangers_forget,
    boot_steps_record,
    registration_timeline,
    timeline_ipxe_fetched,
    timeline_powered_on,
)
from bearman.states import DeployStatus
from tests.factories import BaremetalFactory, NodeFactory

pytestmark = pytest.mark.django_db
Step = BootStepName
T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)
UNKNOWN = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture(autouse=True)
def _deadline(settings):
    settings.BEARMAN_DEPLOY_DEADLINE_MINUTES = 60


def pending(**fields):
    return BaremetalFactory(status=DeployStatus.DEPLOY_START, deploy_started_at=T0, **fields)


def powered_on(baremetal, minutes: float = 1):
    timeline_powered_on(
        node_id=baremetal.node_id,
        uuid=baremetal.node.uuid,
        detail="Power on by admin",
        at=T0 + timedelta(minutes=minutes),
    )


def test_a_node_that_never_fetches_its_script_is_classified_after_its_deadline():
    baremetal = pending()
    powered_on(baremetal)
    waiting = baremetal_timeline(baremetal=baremetal, now=T0 + timedelta(minutes=59))
    assert (waiting.state, waiting.diagnosis) == ("running", "")
    assert waiting.stopped_after == Step.POWERED_ON and waiting.waiting_for == Step.IPXE_FETCHED

    stuck = baremetal_timeline(baremetal=baremetal, now=T0 + timedelta(minutes=61))
    assert stuck.state == "stuck"
    assert stuck.diagnosis.startswith("Past its deadline. No iPXE request at all")
    assert "DHCP" in stuck.diagnosis and "boot order" in stuck.diagnosis

    # The deadline task fails it: the words stay, with the reason it was failed.
    assert baremetals_flag_stuck(now=T0 + timedelta(minutes=61)) == 1
    baremetal.refresh_from_db()
    failed = baremetal_timeline(baremetal=baremetal, now=T0 + timedelta(minutes=62))
    assert failed.state == "failed"
    assert failed.diagnosis.startswith("No iPXE request at all")
    assert "stuck in Deploy start for more than 60 minutes" in failed.diagnosis


@pytest.mark.parametrize(
    ("reached", "words"),
    [
        ([], "Bearman never powered the node on"),
        ([Step.IPXE_FETCHED], "never called GetProfile: the first-stage image did not boot"),
        ([Step.IPXE_FETCHED, Step.PROFILE_CLAIMED], "never asked for its detail"),
        ([Step.PROFILE_CLAIMED, Step.DETAIL_FETCHED], "never downloaded"),
        ([Step.DETAIL_FETCHED, Step.ARTIFACTS_DOWNLOADED], "install script never started"),
        ([Step.ARTIFACTS_DOWNLOADED, Step.INSTALL_STARTED], "the install script hung"),
    ],
)
def test_each_stopped_step_has_its_own_words(reached, words):
    baremetal = pending()
    for step in reached:
        baremetal_step_record(baremetal=baremetal, step=step)
    timeline = baremetal_timeline(baremetal=baremetal, now=timezone.now() + timedelta(hours=2))
    assert timeline.state == "stuck" and words in timeline.diagnosis


def test_a_step_is_recorded_once_and_the_first_time_wins():
    baremetal = pending()
    powered_on(baremetal, minutes=1)
    powered_on(baremetal, minutes=5)
    timeline_ipxe_fetched(uuid=baremetal.node.uuid, script="deploy")
    timeline_ipxe_fetched(uuid=baremetal.node.uuid, script="deploy")
    timeline = baremetal_timeline(baremetal=baremetal)
    assert [e.step for e in timeline.entries] == [Step.POWERED_ON, Step.IPXE_FETCHED]
    assert timeline.entries[0].at == T0 + timedelta(minutes=1)
    assert timeline.entries[1].since_previous == timeline.entries[1].at - timeline.entries[0].at


def test_a_redeploy_starts_an_empty_timeline():
    baremetal = pending()
    baremetal_step_record(baremetal=baremetal, step=Step.IPXE_FETCHED)
    baremetal.status = DeployStatus.UNRECOVERABLE_ERROR
    baremetal.save()
    baremetal_redeploy(baremetal=baremetal, actor="admin")
    assert baremetal_timeline(baremetal=baremetal).entries == []


def test_power_on_of_a_node_without_a_pending_baremetal_records_nothing():
    node = NodeFactory()
    timeline_powered_on(node_id=node.pk, uuid=node.uuid, detail="Power on", at=T0)
    installed = BaremetalFactory(status=DeployStatus.INSTALLED)
    powered_on(installed)
    assert not BootStep.objects.exists()


def test_the_ipxe_mark_records_the_fetch_and_refuses_what_it_does_not_know(client):
    baremetal = pending()
    url = f"/ipxe/{baremetal.node.uuid.upper()}/fetched"
    assert client.get(url, {"script": "shell"}).status_code == 400
    assert client.get("/ipxe/not-a-uuid/fetched", {"script": "deploy"}).status_code == 400
    assert not BootStep.objects.exists()
    response = client.get(url, {"script": "deploy"})
    assert response.status_code == 200 and response.content == b"#!ipxe\n"
    step = BootStep.objects.get()
    assert (step.flow, step.step, step.baremetal_id) == ("baremetal", "ipxe_fetched", baremetal.pk)


def test_an_unknown_machine_fetching_its_registration_script_starts_a_registration_run(client):
    assert client.get(f"/ipxe/{UNKNOWN}/fetched", {"script": "register"}).status_code == 200
    timeline = registration_timeline(uuid=UNKNOWN)
    assert [e.step for e in timeline.entries] == [Step.IPXE_FETCHED]
    assert timeline.waiting_for == Step.REGISTERED and timeline.state == "running"


def test_a_registration_that_ended_starts_over_at_its_next_fetch():
    node = NodeFactory(status="ready")
    for step in (Step.IPXE_FETCHED, Step.REGISTERED, Step.BMC_ANSWERED):
        BootStep.objects.create(node_uuid=node.uuid, flow=BootFlow.REGISTRATION, step=step, at=T0)
    timeline_ipxe_fetched(uuid=node.uuid, script="register")
    steps = BootStep.objects.filter(node_uuid=node.uuid)
    assert [(s.step, s.at > T0) for s in steps] == [(Step.IPXE_FETCHED, True)]


def test_each_new_step_is_observed_in_metrics_once(django_capture_on_commit_callbacks):
    def count() -> float:
        text = render_metrics().decode()
        line = 'bearman_boot_step_seconds_count{flow="baremetal",step="ipxe_fetched"}'
        found = [row.split()[-1] for row in text.splitlines() if row.startswith(line)]
        return float(found[0]) if found else 0.0

    before = count()
    baremetal = pending()
    with django_capture_on_commit_callbacks(execute=True):
        powered_on(baremetal)
        timeline_ipxe_fetched(uuid=baremetal.node.uuid, script="deploy")
        timeline_ipxe_fetched(uuid=baremetal.node.uuid, script="deploy")
    assert count() == before + 1


def histogram(flow: str, step: str) -> tuple[float, float]:
    """The boot-step histogram's (count, sum) for one flow and step, as /metrics shows it."""
    text = render_metrics().decode()
    labels = f'{{flow="{flow}",step="{step}"}}'
    found = {
        part: float(row.split()[-1])
        for row in text.splitlines()
        for part in ("count", "sum")
        if row.startswith(f"bearman_boot_step_seconds_{part}{labels}")
    }
    return found.get("count", 0.0), found.get("sum", 0.0)


def test_a_step_is_timed_from_its_runs_step_before_it(django_capture_on_commit_callbacks):
    node = NodeFactory()
    fetched = timezone.now() - timedelta(seconds=42)
    BootStep.objects.create(
        node_uuid=node.uuid, flow=BootFlow.REGISTRATION, step=Step.IPXE_FETCHED, at=fetched
    )
    other = NodeFactory()  # its first step: nothing before it, nothing observed
    count, total = histogram("registration", "registered")
    with django_capture_on_commit_callbacks(execute=True):
        boot_steps_record(
            records=[
                StepRecord(node.uuid, BootFlow.REGISTRATION, Step.REGISTERED),
                StepRecord(other.uuid, BootFlow.REGISTRATION, Step.REGISTERED),
            ]
        )
    after_count, after_total = histogram("registration", "registered")
    assert after_count == count + 1
    assert 42 <= after_total - total < 50


def test_a_baremetals_first_step_is_timed_from_its_deploy_start(
    django_capture_on_commit_callbacks,
):
    baremetal = pending()
    count, total = histogram("baremetal", "powered_on")
    with django_capture_on_commit_callbacks(execute=True):
        baremetal_step_record(baremetal=baremetal, step=Step.POWERED_ON)
    after_count, after_total = histogram("baremetal", "powered_on")
    started = (timezone.now() - T0).total_seconds()
    assert after_count == count + 1
    assert started - 10 < after_total - total <= started


def test_the_api_answers_the_timeline_with_its_diagnosis(client_for):
    baremetal = pending()
    powered_on(baremetal)
    url = reverse("baremetal-timeline", args=[baremetal.pk])
    assert client_for([]).get(url).status_code == 403
    body = client_for(["bearman.view_baremetal"]).get(url).json()
    assert body["state"] == "stuck" and body["flow"] == "baremetal"
    assert [s["step"] for s in body["steps"]] == ["powered_on"]
    assert body["steps"][0]["seconds_since_previous"] is None
    assert body["waiting_for"] == "ipxe_fetched"
    assert body["diagnosis"].startswith("Past its deadline. No iPXE request at all")


def test_the_api_answers_a_nodes_registration_timeline(client_for, client):
    node = NodeFactory()
    assert client.get(f"/ipxe/{node.uuid}/fetched", {"script": "register"}).status_code == 200
    url = reverse("node-registration-timeline", args=[node.uuid.upper()])
    assert client_for(["bearman.view_baremetal"]).get(url).status_code == 403
    body = client_for(["bearman.view_node"]).get(url).json()
    assert [s["step"] for s in body["steps"]] == ["ipxe_fetched"]
    assert body["flow"] == "registration" and body["waiting_for"] == "registered"
    missing = reverse("node-registration-timeline", args=[UNKNOWN])
    assert client_for(["bearman.view_node"]).get(missing).status_code == 404


def test_deleting_a_node_forgets_its_registration_timeline():
    node = NodeFactory()
    timeline_ipxe_fetched(uuid=node.uuid, script="register")
    node_delete(node=node, actor="admin")
    assert not BootStep.objects.exists()


@pytest.mark.parametrize(
    ("status", "state", "words"),
    [
        ("registered", "stuck", "The BMC never answered Bearman's worker"),
        ("error", "failed", "The BMC never answered Bearman's worker"),
        ("maintenance", "done", ""),
    ],
)
def test_a_registration_whose_bmc_never_answered_says_so(settings, status, state, words):
    settings.BEARMAN_BMC_DEADLINE_MINUTES = 30
    node = NodeFactory(status=status, last_registered_at=T0)
    for step in (Step.IPXE_FETCHED, Step.REGISTERED, Step.BMC_CONFIGURED, Step.POWERING_OFF):
        BootStep.objects.create(node_uuid=node.uuid, flow=BootFlow.REGISTRATION, step=step, at=T0)
    timeline = registration_timeline(uuid=node.uuid, now=T0 + timedelta(minutes=31))
    assert timeline.state == state and words in timeline.diagnosis
    assert bool(timeline.diagnosis) == bool(words)


def test_fetches_of_uuids_that_never_registered_are_forgotten_a_day_on():
    known = NodeFactory()
    for uuid in (UNKNOWN, known.uuid):
        BootStep.objects.create(
            node_uuid=uuid, flow=BootFlow.REGISTRATION, step=Step.IPXE_FETCHED, at=T0
        )
    assert boot_steps_of_strangers_forget(now=T0 + timedelta(hours=23)) == 0
    assert boot_steps_of_strangers_forget(now=T0 + timedelta(hours=25)) == 1
    assert list(BootStep.objects.values_list("node_uuid", flat=True)) == [known.uuid]
