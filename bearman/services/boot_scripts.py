"""Building a node's iPXE script from what the database says about it."""

import datetime
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bearman.ipxe.append import render_append
from bearman.ipxe.situations import BootSituation, boot_situation
from bearman.ipxe.templates import render_ipxe_template
from bearman.models import BootMethod, Node


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

    def file_url(self, url: str, artifact_name: str | None) -> str:
        """A profile file's URL: its own, or where Bearman serves the uploaded artifact."""
        return f"{self.base_url}/artifacts/{artifact_name}" if artifact_name else url


@dataclass(frozen=True)
class NodeBootState:
    """What a node's script depends on, read in one query."""

    status: str
    deploy_status: str | None
    hostname: str | None
    profile: str | None
    boot_method: str | None
    append: str | None
    kernel_url: str | None
    initrd_url: str | None
    kernel_artifact: str | None
    initrd_artifact: str | None
    armed_until: object  # datetime, or its text from SQLite's raw cursor, or None

    @property
    def register_again(self) -> bool:
        """An operator armed its re-registration (or accepted it), and that has not expired."""
        armed = self.armed_until
        if armed is None:
            return False
        if isinstance(armed, str):
            armed = parse_datetime(armed)
        if timezone.is_naive(armed):
            armed = timezone.make_aware(armed, datetime.UTC)
        return armed > timezone.now()


# Only these columns: a narrow values() query costs a fraction of select_related models
# on the hottest path of a boot storm.
BOOT_STATE_COLUMNS = {
    "status": "status",
    "deploy_status": "baremetal__status",
    "hostname": "baremetal__hostname",
    "profile": "baremetal__profile__name",
    "boot_method": "baremetal__profile__boot_method",
    "append": "baremetal__profile__append",
    "kernel_url": "baremetal__profile__kernel_url",
    "initrd_url": "baremetal__profile__initrd_url",
    "kernel_artifact": "baremetal__profile__kernel_artifact__name",
    "initrd_artifact": "baremetal__profile__initrd_artifact__name",
    "armed_until": "reregistration_armed_until",
}


def node_boot_state(*, uuid: str) -> NodeBootState | None:
    """The boot-relevant state of node `uuid`, or None when Bearman does not know it."""
    with connection.cursor() as cursor:
        cursor.execute(_boot_state_sql(connection.vendor), [uuid])
        row = cursor.fetchone()
    return NodeBootState(*row) if row else None


@cache
def _boot_state_sql(vendor: str) -> str:
    # The ORM writes the query once per database vendor; building it anew on every
    # request cost more than running it.
    placeholder = "00000000-0000-4000-8000-000000000000"
    query = Node.objects.filter(uuid=placeholder).values_list(*BOOT_STATE_COLUMNS.values())[:1]
    sql, params = query.query.get_compiler(connection=connection).as_sql()
    if list(params) != [placeholder]:
        raise RuntimeError(f"unexpected parameters in the boot-state query: {params!r}")
    return sql


def boot_entry_script(endpoints: BootEndpoints) -> str:
    """The DHCP boot file: chain to this machine's own script by UUID."""
    return render_ipxe_template("boot.ipxe", {"base_url": endpoints.base_url})


def node_ipxe_script(*, uuid: str, endpoints: BootEndpoints) -> str:
    """The script for the node with system UUID `uuid` (canonical), known or not."""
    state = node_boot_state(uuid=uuid)
    situation = boot_situation(
        node_status=state.status if state else None,
        deploy_status=state.deploy_status if state else None,
        direct_boot=bool(state and state.boot_method == BootMethod.IPXE),
        idle_action=settings.BEARMAN_IPXE_IDLE_ACTION,
        register_again=bool(state and state.register_again),
    )
    context = {"uuid": uuid, "base_url": endpoints.base_url}
    if situation in {BootSituation.REGISTER, BootSituation.DEPLOY}:
        context |= first_stage_context(uuid, endpoints, mode=situation.value)
    if situation in {BootSituation.DEPLOY, BootSituation.DIRECT}:
        context |= {"hostname": state.hostname, "profile": state.profile}
    if situation == BootSituation.DIRECT:
        context |= direct_boot_context(uuid, endpoints, state)
    return render_ipxe_template(situation.template, context)


def first_stage_context(uuid: str, endpoints: BootEndpoints, *, mode: str) -> dict:
    """The first-stage OS and the kernel command line that tells the agent what to do."""
    arguments = [
        f"bearman.mode={mode}",
        f"bearman.server={endpoints.base_url}",
        f"bearman.grpc={endpoints.grpc}",
        f"bearman.uuid={uuid}",
    ]
    # Opt-in, and only on first-stage scripts (register, deploy), never on a READY or
    # installed node's: anyone who asks for an unknown UUID gets it, so a site that turns
    # this on treats the token as public on the provisioning network (docs/security.md).
    if settings.BEARMAN_IPXE_SEND_ENROLLMENT_TOKEN:
        arguments.append(f"bearman.token={settings.BEARMAN_ENROLLMENT_TOKEN}")
    if settings.BEARMAN_FIRST_STAGE_APPEND:
        arguments.append(settings.BEARMAN_FIRST_STAGE_APPEND)
    return {
        "kernel_url": endpoints.absolute(settings.BEARMAN_FIRST_STAGE_KERNEL),
        "initrd_url": endpoints.absolute(settings.BEARMAN_FIRST_STAGE_INITRD),
        "cmdline": " ".join(arguments),
    }


def direct_boot_context(uuid: str, endpoints: BootEndpoints, state: NodeBootState) -> dict:
    """The profile's own kernel, initrd and rendered command line."""
    cmdline = render_append(
        state.append,
        bearman_url=endpoints.base_url,
        grpc=endpoints.grpc,
        uuid=uuid,
        hostname=state.hostname,
    )
    return {
        "kernel_url": endpoints.file_url(state.kernel_url, state.kernel_artifact),
        "initrd_url": endpoints.file_url(state.initrd_url, state.initrd_artifact),
        "cmdline": f"{cmdline} bearman.uuid={uuid}".strip(),
    }
