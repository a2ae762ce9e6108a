"""The one place that turns our exceptions into gRPC status codes.

A client's input never yields UNKNOWN or INTERNAL: everything a caller can cause is
a BearmanError, an IPman error or a ValidationError with a code below. INTERNAL is
left for our own bugs, and those are logged with their traceback.
"""

import logging
import time

import grpc
from django.core.exceptions import ValidationError
from django.db import DatabaseError, close_old_connections

from bearman import errors
from bearman.metrics import GRPC_CALLS, GRPC_SECONDS
from ipman import errors as ipman_errors

logger = logging.getLogger("bearman.grpc")

STATUS_BY_ERROR: list[tuple[type[Exception], grpc.StatusCode]] = [
    (ValidationError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NodeNotFound, grpc.StatusCode.NOT_FOUND),
    (errors.DeploymentNotPending, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.TransitionNotAllowed, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.TransitionConflict, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.AgentTokenMissing, grpc.StatusCode.UNAUTHENTICATED),
    (errors.AgentTokenForbidden, grpc.StatusCode.PERMISSION_DENIED),
    (errors.RegistrationThrottled, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (ipman_errors.PoolExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (ipman_errors.IpmanError, grpc.StatusCode.FAILED_PRECONDITION),
    (DatabaseError, grpc.StatusCode.UNAVAILABLE),
]


def status_for(error: Exception) -> tuple[grpc.StatusCode, str]:
    for kind, code in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return code, _message(error, code)
    if isinstance(error, errors.BearmanError):
        return grpc.StatusCode.FAILED_PRECONDITION, str(error)
    return grpc.StatusCode.INTERNAL, "Bearman failed unexpectedly; the error is in its log."


def _message(error: Exception, code: grpc.StatusCode) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    if code == grpc.StatusCode.UNAVAILABLE:
        return "Bearman's database is unavailable; retry shortly."
    return str(error)


class StatusInterceptor(grpc.ServerInterceptor):
    """Maps exceptions to codes, logs one line per call, keeps DB connections fresh."""

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        return grpc.unary_unary_rpc_method_handler(
            _guarded(method, handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _guarded(method: str, behaviour):
    def call(request, context):
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        # Django closes stale connections around HTTP requests only; do it for RPCs too.
        close_old_connections()
        try:
            return behaviour(request, context)
        except Exception as error:
            code, message = status_for(error)
            if code == grpc.StatusCode.INTERNAL:
                logger.exception("gRPC %s failed", method)
            context.abort(code, message)
        finally:
            close_old_connections()
            elapsed = time.perf_counter() - started
            GRPC_CALLS.labels(method, code.name).inc()
            GRPC_SECONDS.labels(method).observe(elapsed)
            logger.info(
                "grpc method=%s code=%s uuid=%s ms=%.1f",
                method,
                code.name,
                getattr(request, "system_uuid", "") or "-",
                elapsed * 1000,
            )

    return call
