"""Building a node's iPXE script from what the database says about it."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from bearman.models import Baremetal, BootMethod, Node, Profile

from .append import render_append
from .situations import BootSituation, boot_situation
from .templates import render_ipxe_template


@dataclass(frozen=True)
class BootEndpoints:
    """Where a booting node reaches Bearman: the HTTP base URL and the gRPC host:port."""

    base_url: str
    grpc: str

    @classmethod
    def from_base_url(cls, base_url: str) -> "BootEndpoints":
        base_url = base_url.rstrip("/")
        grpc = settings.BEARMAN_GRPC_PUBLIC_ADDRESS
        if not grpc:
            host = urlsplit(base_url).hostname or "127.0.0.1"
            grpc = f"[{host}]:50051" if ":" in host else f"{host}:50051"
        return cls(base_url=base_url, grpc=grpc)

    @classmethod
    def configured(cls) -> "BootEndpoints | None":
        """The endpoints from BEARMAN_PUBLIC_URL, or None when it is not set."""
        return (
            cls.from_base_url(settings.BEARMAN_PUBLIC_URL) if settings.BEARMAN_PUBLIC_URL else None
        )

    def absolute(self, url: str) -> str:
        return f"{self.base_url}{url}" if url.startswith("/") else url


def artifact_url(endpoints: BootEndpoints, url: str, artifact) -> str:
    """A profile file's URL: its own, or where Bearman serves the uploaded artifact."""
    return f"{endpoints.base_url}/artifacts/{artifact.name}" if artifact else url


def boot_entry_script(endpoints: BootEndpoints) -> str:
    """The DHCP boot file: chain to this machine's own script by UUID."""
    return render_ipxe_template("boot.ipxe", {"base_url": endpoints.base_url})


def node_ipxe_script(*, uuid: str, endpoints: BootEndpoints) -> str:
    """The script for the node with system UUID `uuid` (canonical), known or not."""
    node = (
        Node.objects.select_related(
            "baremetal__profile__kernel_artifact", "baremetal__profile__initrd_artifact"
        )
        .filter(uuid=uuid)
        .first()
    )
    baremetal = getattr(node, "baremetal", None) if node else None
    profile = baremetal.profile if baremetal else None
    situation = boot_situation(
        node_status=node.status if node else None,
        deploy_status=baremetal.status if baremetal else None,
        direct_boot=bool(profile and profile.boot_method == BootMethod.IPXE),
        idle_action=settings.BEARMAN_IPXE_IDLE_ACTION,
    )
    context = {"uuid": uuid, "base_url": endpoints.base_url}
    if situation in {BootSituation.REGISTER, BootSituation.DEPLOY}:
        context |= first_stage_context(uuid, endpoints, mode=situation.value)
    if situation in {BootSituation.DEPLOY, BootSituation.DIRECT}:
        context |= {"hostname": baremetal.hostname, "profile": profile.name}
    if situation == BootSituation.DIRECT:
        context |= direct_boot_context(uuid, endpoints, baremetal, profile)
    return render_ipxe_template(situation.template, context)


def first_stage_context(uuid: str, endpoints: BootEndpoints, *, mode: str) -> dict:
    """The first-stage OS and the kernel command line that tells the agent what to do."""
    arguments = [
        f"bearman.mode={mode}",
        f"bearman.server={endpoints.base_url}",
        f"bearman.grpc={endpoints.grpc}",
        f"bearman.uuid={uuid}",
    ]
    if settings.BEARMAN_IPXE_SEND_ENROLLMENT_TOKEN:
        arguments.append(f"bearman.token={settings.BEARMAN_ENROLLMENT_TOKEN}")
    if settings.BEARMAN_FIRST_STAGE_APPEND:
        arguments.append(settings.BEARMAN_FIRST_STAGE_APPEND)
    return {
        "kernel_url": endpoints.absolute(settings.BEARMAN_FIRST_STAGE_KERNEL),
        "initrd_url": endpoints.absolute(settings.BEARMAN_FIRST_STAGE_INITRD),
        "cmdline": " ".join(arguments),
    }


def direct_boot_context(
    uuid: str, endpoints: BootEndpoints, baremetal: Baremetal, profile: Profile
) -> dict:
    """The profile's own kernel, initrd and rendered command line."""
    cmdline = render_append(
        profile.append,
        bearman_url=endpoints.base_url,
        grpc=endpoints.grpc,
        uuid=uuid,
        hostname=baremetal.hostname,
    )
    return {
        "kernel_url": artifact_url(endpoints, profile.kernel_url, profile.kernel_artifact),
        "initrd_url": artifact_url(endpoints, profile.initrd_url, profile.initrd_artifact),
        "cmdline": f"{cmdline} bearman.uuid={uuid}".strip(),
    }
