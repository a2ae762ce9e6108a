"""The real `bearman-cli` against the real gRPC server: each call lands in the timeline."""

import grpc
import pytest

from bearman.models import Baremetal, BootStep, BootStepName
from bearman.services.timeline import baremetal_timeline, registration_timeline
from bearman_agent.errors import EXIT_OK, EXIT_STEP_FAILED
from bearman_agent.wire.bearman.v1 import agent_pb2
from tests.bearman.grpc.conftest import ENROLL, bearer, register_request
from tests.bearman.grpc.test_agent_end_to_end import (  # noqa: F401 (a fixture)
    UUID,
    _agents_on_loopback,
    cli,
    registered_baremetal,
)

pytestmark = pytest.mark.django_db(transaction=True)
Step = BootStepName
SCRIPT = "#!/bin/sh\nset -e\necho installing $BEARMAN_HOSTNAME\n"


def test_a_baremetal_shows_each_agent_step_in_order_with_durations(
    grpc_target, ipmi_pool, artifacts
):
    registered_baremetal(grpc_target, artifacts, SCRIPT)
    assert cli(grpc_target, "deploy", "--dry-run").returncode == EXIT_OK
    timeline = baremetal_timeline(baremetal=Baremetal.objects.get())
    assert [entry.step for entry in timeline.entries] == [
        Step.PROFILE_CLAIMED,
        Step.DETAIL_FETCHED,
        Step.ARTIFACTS_DOWNLOADED,
        Step.INSTALL_STARTED,
        Step.INSTALLED,
    ]
    assert all(entry.since_previous.total_seconds() >= 0 for entry in timeline.entries[1:])
    assert timeline.state == "done" and timeline.diagnosis == "" and timeline.waiting_for == ""
    # Registering (a dry run: the BMC was not configured, so the agent said nothing of it).
    assert [e.step for e in registration_timeline(uuid=UUID).entries] == [Step.REGISTERED]


def test_a_failing_install_script_stops_the_timeline_with_the_agents_words(
    grpc_target, ipmi_pool, artifacts
):
    registered_baremetal(grpc_target, artifacts, "#!/bin/sh\necho 'no disk sdz' >&2\nexit 3\n")
    assert cli(grpc_target, "deploy", "--dry-run").returncode == EXIT_STEP_FAILED
    timeline = baremetal_timeline(baremetal=Baremetal.objects.get())
    assert [entry.step for entry in timeline.entries][-2:] == [Step.INSTALL_STARTED, Step.FAILED]
    assert timeline.state == "failed" and timeline.stopped_after == Step.INSTALL_STARTED
    assert timeline.diagnosis.startswith("The agent reported a failure:")
    assert "no disk sdz" in timeline.diagnosis


@pytest.mark.parametrize(
    ("step", "token", "code"),
    [
        (agent_pb2.PROGRESS_STEP_UNSPECIFIED, ENROLL, grpc.StatusCode.INVALID_ARGUMENT),
        (99, ENROLL, grpc.StatusCode.INVALID_ARGUMENT),
        # A Baremetal step needs the Baremetal's agent token, not the enrollment token.
        (agent_pb2.PROGRESS_STEP_ARTIFACTS_DOWNLOADED, ENROLL, grpc.StatusCode.UNAUTHENTICATED),
        (agent_pb2.PROGRESS_STEP_BMC_CONFIGURED, bearer("wrong"), grpc.StatusCode.UNAUTHENTICATED),
        (agent_pb2.PROGRESS_STEP_BMC_CONFIGURED, ENROLL, grpc.StatusCode.NOT_FOUND),
    ],
)
def test_report_progress_refuses_what_it_cannot_record(agent, step, token, code):
    request = agent_pb2.ReportProgressRequest(system_uuid=UUID, step=step)
    with pytest.raises(grpc.RpcError) as raised:
        agent.ReportProgress(request, metadata=token, timeout=10)
    assert raised.value.code() == code
    assert not BootStep.objects.exists()


def test_registration_progress_is_recorded_once(agent, ipmi_pool):
    agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    for _ in range(2):
        request = agent_pb2.ReportProgressRequest(
            system_uuid=UUID, step=agent_pb2.PROGRESS_STEP_BMC_CONFIGURED
        )
        agent.ReportProgress(request, metadata=ENROLL, timeout=10)
    timeline = registration_timeline(uuid=UUID)
    assert [e.step for e in timeline.entries] == [Step.REGISTERED, Step.BMC_CONFIGURED]
    assert timeline.waiting_for == Step.POWERING_OFF
