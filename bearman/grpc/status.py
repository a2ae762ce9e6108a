"""The one place that turns our exceptions into gRPC status codes.

A client's input never yields UNKNOWN or INTERNAL: everything a caller can cause is
a BearmanError, an IPman error or a ValidationError with a code below. INTERNAL is
left for our own bugs, and those are logged with their traceback. Bytes that do not
parse as the method's message are INVALID_ARGUMENT too, without a traceback. The log
line of a call names only a validated node UUID.
"""

import logging
import time

import grpc
from django.core.exceptions import ValidationError
from django.db import DatabaseError, close_old_connections

from bearman import errors
from bearman.metrics import GRPC_CALLS, GRPC_SECONDS
from bearman.validators import normalize_system_uuid
from ipman import errors as ipman_errors

logger = logging.getLogger("bearman.grpc")
# Enough of a bad UUID to recognise it, too little to forge or flood the log with.
LOGGED_INVALID_CHARS = 40

STATUS_BY_ERROR: list[tuple[type[Exception], grpc.StatusCode]] = [
    (ValidationError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NodeNotFound, grpc.StatusCode.NOT_FOUND),
    (errors.BaremetalNotPending, grpc.StatusCode.FAILED_PRECONDITION),
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


class UndecodableRequest:
    """Stands in for a request whose bytes did not parse (grpcio would answer INTERNAL)."""

    def __init__(self, problem: str):
        self.message = f"The request is not a valid protobuf message: {problem}"

    def refuse(self, context) -> None:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, self.message)


def _tolerant(deserializer):
    """The handler's deserializer, handing on an UndecodableRequest instead of raising."""
    if deserializer is None:
        return None

    def deserialize(data: bytes):
        try:
            return deserializer(data)
        except Exception as error:  # protobuf's DecodeError, or whatever a parser raises
            return UndecodableRequest(str(error)[:200] or type(error).__name__)

    return deserialize


class StatusInterceptor(grpc.ServerInterceptor):
    """Maps exceptions to codes, logs one line per call, keeps DB connections fresh."""

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return handler
        if handler.unary_unary is None:
            return _streaming(handler)
        method = handler_call_details.method.rsplit("/", 1)[-1]
        return grpc.unary_unary_rpc_method_handler(
            _guarded(method, handler.unary_unary),
            request_deserializer=_tolerant(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )


def _streaming(handler):
    """Health's Watch and reflection touch no data: they only need undecodable input refused."""
    deserializer = _tolerant(handler.request_deserializer)
    if handler.unary_stream is not None:
        behaviour = handler.unary_stream

        def unary_stream(request, context, *callback):
            if isinstance(request, UndecodableRequest):
                request.refuse(context)
            return behaviour(request, context, *callback)

        # Health's Watch streams through a callback only when its behaviour says so.
        unary_stream.experimental_non_blocking = getattr(
            behaviour, "experimental_non_blocking", False
        )
        return grpc.unary_stream_rpc_method_handler(
            unary_stream, deserializer, handler.response_serializer
        )
    if handler.stream_stream is not None:
        behaviour = handler.stream_stream

        def stream_stream(requests, context):
            return behaviour(_decoded(requests, context), context)

        return grpc.stream_stream_rpc_method_handler(
            stream_stream, deserializer, handler.response_serializer
        )
    return handler  # no client-streaming unary methods are served


def _decoded(requests, context):
    for request in requests:
        if isinstance(request, UndecodableRequest):
            request.refuse(context)
        yield request


def logged_uuid(request) -> str:
    """The call's node UUID for the log: validated, or marked invalid, cut short and escaped."""
    raw = getattr(request, "system_uuid", None)
    if raw is None:  # Register carries it in its facts
        raw = getattr(getattr(request, "facts", None), "system_uuid", "")
    if not raw:
        return "-"
    try:
        return normalize_system_uuid(raw)
    except ValidationError:
        cut = f"...({len(raw)} chars)" if len(raw) > LOGGED_INVALID_CHARS else ""
        return f"<invalid {ascii(raw[:LOGGED_INVALID_CHARS])}{cut}>"


def _guarded(method: str, behaviour):
    def call(request, context):
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        # Django closes stale connections around HTTP requests only; do it for RPCs too.
        close_old_connections()
        try:
            if isinstance(request, UndecodableRequest):
                raise ValidationError(request.message)
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
            if logger.isEnabledFor(logging.INFO):  # the UUID's check costs a storm's call
                logger.info(
                    "grpc method=%s code=%s uuid=%s ms=%.1f",
                    method,
                    code.name,
                    logged_uuid(request),
                    elapsed * 1000,
                )

    return call
