"""The one place where IPman's errors become HTTP responses."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from ipman.errors import (
    AddressInUse,
    AddressOutsidePool,
    IpmanError,
    OwnerHasAddress,
    PoolExhausted,
    PoolInUse,
    PoolNotFound,
)

STATUS = {
    PoolExhausted: status.HTTP_409_CONFLICT,
    PoolInUse: status.HTTP_409_CONFLICT,
    AddressInUse: status.HTTP_409_CONFLICT,
    OwnerHasAddress: status.HTTP_409_CONFLICT,
    PoolNotFound: status.HTTP_404_NOT_FOUND,
}


def ipman_exception_handler(exc, context):
    """DRF's handler, taught our errors: bad input 400 by field, conflicts 409, absent 404."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, AddressOutsidePool):
        exc = exceptions.ValidationError({"address": [str(exc)]})
    elif isinstance(exc, IpmanError):
        code = STATUS.get(type(exc), status.HTTP_409_CONFLICT)
        return Response({"detail": str(exc)}, status=code)
    return exception_handler(exc, context)
