"""Request checks that hold for every page: the admin's lists, the API, the rest."""

from django.http import HttpResponseBadRequest, JsonResponse

from bearman.api.errors import TRY_LATER_ERRORS, error_body, log_unavailable, unavailable_response

NUL_MESSAGE = "The query string contains a NUL character (%00), which no filter or search takes."


class RefuseNulInQueryMiddleware:
    """A 400 for a query string with a NUL character, before any view sees it.

    PostgreSQL refuses NUL in text, so a `?vendor=%00` on an admin list (or any filter or
    search) would otherwise end in a 500. One check here covers every list there is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Boot firmware is not refused: iPXE writes an unreadable MAC with its bytes as
        # they are, and the node must still boot (bearman.views.ipxe logs it escaped).
        if request.path.startswith("/ipxe/"):
            return self.get_response(request)
        if any("\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists()):
            return _bad_request(request)
        return self.get_response(request)


def _bad_request(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("invalid", NUL_MESSAGE), status=400)
    return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")


class DatabaseUnavailableMiddleware:
    """A 503 with Retry-After, not a 500, for any page whose database does not answer.

    The API's views answer so themselves (bearman.api.errors); this covers the admin,
    /metrics and the other Django views.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, TRY_LATER_ERRORS):
            return None
        log_unavailable(request, exception)
        return unavailable_response(request)
