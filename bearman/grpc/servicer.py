"""AgentService: each method checks the caller, converts the request, calls one service."""

import ipaddress
from urllib.parse import unquote

from bearman.services import agent_deploy, registration, timeline
from bearman.services.agent_tokens import is_enrollment_token, require_enrollment_token
from bearman.services.boot_scripts import BootEndpoints, node_ipxe_script
from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc

from . import converters
from .batcher import Batcher

# Register calls per transaction at most, and how long the batcher waits for more when
# the queue runs dry (bearman.grpc.batcher).
REGISTER_BATCH = 64
REGISTER_LINGER_SECONDS = 0.002


def bearer_token(context) -> str:
    """The token of `authorization: Bearer <token>` metadata, or ''."""
    for key, value in context.invocation_metadata():
        if key == "authorization" and value.startswith("Bearer "):
            return value[len("Bearer ") :].strip()
    return ""


def peer_address(context) -> str:
    """The caller's IP address as the connection shows it (not as the caller reports it)."""
    # "ipv4:10.0.0.5:41234", "ipv6:[fd00::5]:41234" (brackets maybe %-encoded), "unix:…"
    kind, _, rest = unquote(context.peer() or "").partition(":")
    if kind not in ("ipv4", "ipv6"):
        return ""
    host = rest.rsplit(":", 1)[0].strip("[]").split("%", 1)[0]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return ""


def boot_endpoints() -> BootEndpoints:
    # Without BEARMAN_PUBLIC_URL the gRPC side cannot know the HTTP address agents use.
    return BootEndpoints.configured() or BootEndpoints.from_base_url("http://127.0.0.1:8000")


def _register_batch(requests: list) -> list:
    return registration.nodes_register(requests=requests)


class AgentServicer(agent_pb2_grpc.AgentServiceServicer):
    def __init__(self):
        self.registrations = Batcher(
            _register_batch, max_batch=REGISTER_BATCH, linger=REGISTER_LINGER_SECONDS
        )

    def Register(self, request, context):
        require_enrollment_token(bearer_token(context))
        identity, facts = converters.facts_from_proto(request.facts)
        result = self.registrations.submit(
            registration.RegistrationRequest(
                identity=identity,
                facts=facts,
                agent_address=converters.ip_address(request.agent_address, "agent_address"),
                agent_version=converters.text(request.agent_version, "agent_version", 64),
                peer_address=peer_address(context),
            )
        )
        return agent_pb2.RegisterResponse(
            node_uuid=result.uuid, bmc=converters.bmc_settings_to_proto(result.bmc)
        )

    def GetIpxe(self, request, context):
        require_enrollment_token(bearer_token(context))
        uuid = converters.system_uuid(request.system_uuid)
        return agent_pb2.GetIpxeResponse(
            script=node_ipxe_script(uuid=uuid, endpoints=boot_endpoints())
        )

    def GetProfile(self, request, context):
        require_enrollment_token(bearer_token(context))
        uuid = converters.system_uuid(request.system_uuid)
        claim = agent_deploy.baremetal_profile_claim(
            uuid=uuid, endpoints=boot_endpoints(), peer_address=peer_address(context)
        )
        return converters.profile_to_proto(claim)

    def GetDetail(self, request, context):
        uuid = converters.system_uuid(request.system_uuid)
        detail = agent_deploy.baremetal_detail(uuid=uuid, token=bearer_token(context))
        return converters.detail_to_proto(detail)

    def ReportInstalled(self, request, context):
        uuid = converters.system_uuid(request.system_uuid)
        agent_deploy.baremetal_report_installed(uuid=uuid, token=bearer_token(context))
        return agent_pb2.ReportInstalledResponse()

    def ReportFailed(self, request, context):
        uuid = converters.system_uuid(request.system_uuid)
        token = bearer_token(context)
        message = converters.text(request.message, "message", converters.MAX_MESSAGE)
        address = converters.ip_address(request.agent_address, "agent_address")
        if is_enrollment_token(token):
            registration.registration_report_failed(
                uuid=uuid,
                message=message,
                agent_address=address,
                peer_address=peer_address(context),
            )
        else:
            agent_deploy.baremetal_report_failed(
                uuid=uuid, token=token, message=message, agent_address=address
            )
        return agent_pb2.ReportFailedResponse()

    def ReportProgress(self, request, context):
        uuid = converters.system_uuid(request.system_uuid)
        step = converters.progress_step(request.step)
        token = bearer_token(context)
        if step in timeline.AGENT_REGISTRATION_STEPS:
            require_enrollment_token(token)
            timeline.registration_progress_report(uuid=uuid, step=step)
        else:
            timeline.baremetal_progress_report(uuid=uuid, token=token, step=step)
        return agent_pb2.ReportProgressResponse()
