"""The one place that turns exceptions into the API's error body.

Every error answers `{"error": {"code": …, "message": …, "fields": {…}}}`; `fields`
(field name → messages) comes only with validation errors. A client's input never
yields a 500: whatever it can cause is a DRF exception, a ValidationError or one of
our errors mapped below. A database that does not answer is "try later" everywhere: 503
with Retry-After, for the API, the admin and /metrics alike.
"""

import logging
import sys

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from bearman import errors
from ipman import errors as ipman_errors

STATUS_BY_ERROR: list[tuple[type[Exception], int, str]] = [
    (errors.BmcChangeNotAllowed, status.HTTP_403_FORBIDDEN, "permission_denied"),
    (errors.NodeNotFound, status.HTTP_404_NOT_FOUND, "not_found"),
    (errors.TransitionNotAllowed, status.HTTP_409_CONFLICT, "transition_not_allowed"),
    (errors.TransitionConflict, status.HTTP_409_CONFLICT, "transition_conflict"),
    (errors.BaremetalNotPending, status.HTTP_409_CONFLICT, "baremetal_not_pending"),
    (errors.ProfileInUse, status.HTTP_409_CONFLICT, "profile_in_use"),
    (errors.ConformanceNothingToWaive, status.HTTP_409_CONFLICT, "nothing_to_waive"),
    (errors.PowerOperationInFlight, status.HTTP_409_CONFLICT, "power_operation_in_flight"),
    (errors.PowerNotConfigured, status.HTTP_409_CONFLICT, "power_not_configured"),
    (ipman_errors.PoolExhausted, status.HTTP_409_CONFLICT, "pool_exhausted"),
    (ipman_errors.PoolInUse, status.HTTP_409_CONFLICT, "pool_in_use"),
    (ipman_errors.AddressInUse, status.HTTP_409_CONFLICT, "address_in_use"),
    (ipman_errors.OwnerHasAddress, status.HTTP_409_CONFLICT, "owner_has_address"),
    # A pool named in a request or a flavor: the request is fine, the configuration is not.
    (ipman_errors.PoolNotFound, status.HTTP_409_CONFLICT, "pool_not_found"),
]
# The database is down, restarting, refusing connections or cannot serialise this
# transaction now: the request was fine, so the client may try it again later.
TRY_LATER_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10
UNAVAILABLE_MESSAGE = "Bearman's database is not answering; try again in a few seconds."

log = logging.getLogger(__name__)

# Errors that are bad input in one field: a 400 naming it.
FIELD_BY_ERROR: list[tuple[type[Exception], str]] = [(ipman_errors.AddressOutsidePool, "address")]


def not_found(request, exception):
    """Django's 404 for URLs no view matched: the error body under /api/, the page elsewhere."""
    if request.path.startswith("/api/"):
        message = f"Nothing at {request.path}."
        return JsonResponse(error_body("not_found", message), status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500: the error body under /api/ (the traceback is logged), the page elsewhere.

    A database error that escaped everything else (a middleware's) is still a 503.
    """
    if isinstance(sys.exception(), TRY_LATER_ERRORS):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        message = "Bearman failed unexpectedly; the error is in its log."
        body = error_body("server_error", message)
        return JsonResponse(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


def unavailable_response(request) -> HttpResponse:
    """503 with Retry-After: the error body under /api/, one line of text elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("unavailable", UNAVAILABLE_MESSAGE), status=503)
    else:
        response = HttpResponse(
            UNAVAILABLE_MESSAGE + "\n", status=503, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def log_unavailable(request, error: Exception) -> None:
    """The database's own words (host and port among them) go to the log, never the client."""
    log.warning("%s %s: database unavailable: %s", request.method, request.path, error)


class ServiceUnavailable(exceptions.APIException):
    """The API's 503; DRF's handler turns `wait` into Retry-After."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = UNAVAILABLE_MESSAGE
    default_code = "unavailable"
    wait = RETRY_AFTER_SECONDS


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return {"error": body}


def api_exception_handler(exc, context):
    if isinstance(exc, TRY_LATER_ERRORS):
        log_unavailable(context["request"], exc)
        exc = ServiceUnavailable()
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None  # a bug of ours: Django answers 500 and logs the traceback
    response = exception_handler(api_exc, context)
    response.data = _body_of(api_exc)
    return response


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(field_errors(exc))
    for kind, field in FIELD_BY_ERROR:
        if isinstance(exc, kind):
            return exceptions.ValidationError({field: [str(exc)]})
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    for kind, http_status, code in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return _with_status(exc, http_status, code)
    if isinstance(exc, errors.BearmanError | ipman_errors.IpmanError):
        return _with_status(exc, status.HTTP_409_CONFLICT, "conflict")
    return None


def _with_status(exc: Exception, http_status: int, code: str) -> exceptions.APIException:
    api_exc = exceptions.APIException(str(exc), code)
    api_exc.status_code = http_status
    return api_exc


def field_errors(error: DjangoValidationError) -> dict:
    """A Django ValidationError as DRF's field → messages; `__all__` becomes the non-field key."""
    detail = as_serializer_error(error)
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    return {(non_field if key == "__all__" else key): value for key, value in detail.items()}


def _body_of(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        fields = as_serializer_error(exc)
        return error_body("invalid", _summary(fields), fields)
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
    return error_body(code, str(exc.detail))


def _summary(fields: dict) -> str:
    """One line naming each bad field, for people and for the CLI."""
    parts = []
    for field, messages in fields.items():
        text = " ".join(str(m) for m in messages) if isinstance(messages, list) else "invalid"
        parts.append(text if field == api_settings.NON_FIELD_ERRORS_KEY else f"{field}: {text}")
    return "; ".join(parts) or "Invalid input."
