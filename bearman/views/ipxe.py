"""The iPXE endpoints that firmware fetches: plain text, no secrets, never a Python error page."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from bearman.errors import BearmanError
from bearman.metrics import IPXE_REQUESTS
from bearman.services.boot_files import read_rendered_script
from bearman.services.boot_scripts import BootEndpoints, boot_entry_script, node_ipxe_script
from bearman.services.timeline import timeline_ipxe_fetched
from bearman.validators import normalize_mac, normalize_system_uuid

logger = logging.getLogger(__name__)


def ipxe_response(script: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(script, content_type="text/plain; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"  # a node's script changes with its state
    return response


def ipxe_problem(message: str, status: int, *, retry_url: str = "") -> HttpResponse:
    """An iPXE script that says what went wrong (in words safe for `echo`), then waits."""
    safe = "".join(ch for ch in message if ch.isalnum() or ch in " .,:;-_/()'")[:200]
    lines = ["#!ipxe", f"echo Bearman: {safe}", "sleep 30"]
    lines.append(f"chain --replace {retry_url}" if retry_url else "exit 1")
    return ipxe_response("\n".join(lines) + "\n", status)


def endpoints_for(request) -> BootEndpoints:
    return BootEndpoints.configured() or BootEndpoints.from_base_url(
        request.build_absolute_uri("/")
    )


def reported_mac(uuid: str, value: str) -> str:
    """The MAC the firmware sent, for the logs only: an odd one must never strand a boot."""
    try:
        return normalize_mac(value) if value else ""
    except ValidationError:
        # Firmware builds spell ${net0/mac} in their own ways; the script does not need it.
        logger.warning("iPXE request of %s with an unreadable mac %a", uuid, value[:64])
        return ""


@require_safe
def boot_entry(request):
    """GET /ipxe/boot.ipxe: the DHCP boot file."""
    return ipxe_response(boot_entry_script(endpoints_for(request)))


@require_safe
def node_script(request, uuid: str):
    """GET /ipxe/<uuid>: what this machine boots now."""
    try:
        uuid = normalize_system_uuid(uuid)
    except ValidationError as error:
        IPXE_REQUESTS.labels("bad_request").inc()
        return ipxe_problem(error.messages[0], 400)
    mac = reported_mac(uuid, request.GET.get("mac", ""))
    rendered = read_rendered_script(uuid) if settings.BEARMAN_PUBLIC_URL else None
    if rendered is not None:
        IPXE_REQUESTS.labels("rendered").inc()
        return ipxe_response(rendered)
    endpoints = endpoints_for(request)
    try:
        script = node_ipxe_script(uuid=uuid, endpoints=endpoints)
    except DatabaseError:
        IPXE_REQUESTS.labels("database_down").inc()
        logger.warning("iPXE request of %s (mac %s) while the database is down", uuid, mac)
        retry = f"{endpoints.base_url}/ipxe/{uuid}"
        return ipxe_problem("database unavailable, retrying", 503, retry_url=retry)
    except BearmanError as error:
        IPXE_REQUESTS.labels("unrenderable").inc()
        logger.error("iPXE script of %s cannot be rendered: %s", uuid, error)
        return ipxe_problem("this node's profile has a value iPXE cannot take; see events", 500)
    IPXE_REQUESTS.labels("dynamic").inc()
    return ipxe_response(script)


# The scripts that fetch /ipxe/<uuid>/fetched (ipxe_templates/): those that start a run.
MARKED_SCRIPTS = frozenset({"register", "deploy", "direct"})


@require_safe
def node_script_fetched(request, uuid: str):
    """GET /ipxe/<uuid>/fetched?script=…: the firmware ran the script we served it.

    The script itself asks for this, so the step is recorded also when nginx served the
    script from its rendered file and Bearman never saw that request.
    """
    script = request.GET.get("script", "")
    try:
        uuid = normalize_system_uuid(uuid)
    except ValidationError as error:
        return ipxe_problem(error.messages[0], 400)
    if script not in MARKED_SCRIPTS:
        return ipxe_problem(f"unknown script, expected one of {sorted(MARKED_SCRIPTS)}", 400)
    try:
        timeline_ipxe_fetched(uuid=uuid, script=script)
    except DatabaseError:
        # The boot goes on without the step: its script never waits for this answer.
        logger.warning("iPXE fetch of %s not recorded: the database is down", uuid)
        return ipxe_problem("database unavailable, fetch not recorded", 503)
    return ipxe_response("#!ipxe\n")
