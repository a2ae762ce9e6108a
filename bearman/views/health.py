"""Liveness, readiness and metrics for orchestrators and Prometheus."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from kombu import Connection

from bearman.api.errors import RETRY_AFTER_SECONDS
from bearman.metrics import render_metrics
from bearman.services.zones import ZoneCollector

log = logging.getLogger(__name__)
# Anyone may ask /readyz: it says what is down, and the log says where and why (an
# error's text names hosts, ports and user names).
UNAVAILABLE = "unavailable"


@require_safe
def healthz(request):
    """Liveness: the process answers; it touches neither the database nor the broker."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def readyz(request):
    """Readiness: the database and the broker answer now."""
    checks = {"database": _database_check(), "broker": _broker_check()}
    ready = all(result == "ok" for result in checks.values())
    response = JsonResponse({"ready": ready, **checks}, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except DatabaseError as error:
        log.warning("readiness: the database is unavailable: %s", error)
        return UNAVAILABLE


def _broker_check() -> str:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    try:
        with Connection(
            settings.CELERY_BROKER_URL, transport_options=options, connect_timeout=2
        ) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means not ready; log which
        log.warning("readiness: the broker is unavailable: %s: %s", type(error).__name__, error)
        return UNAVAILABLE


@require_safe
def metrics(request):
    """Prometheus exposition of every Bearman process plus the inventory and the zones."""
    body = render_metrics(ZoneCollector())
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
