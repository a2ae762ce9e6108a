from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from bearman.models.artifact import ARTIFACT_NAME
from bearman.services.catalog import artifact_path

from .files import serve_file


@require_safe
def artifact(request, name: str):
    """GET /artifacts/<name>: an uploaded boot file, straight from disk (no database)."""
    try:
        ARTIFACT_NAME(name)  # also keeps the path inside the artifacts directory
    except ValidationError:
        raise Http404("No such artifact") from None
    path = artifact_path(name)
    if not path.is_file():
        raise Http404("No such artifact")
    if settings.BEARMAN_ARTIFACTS_ACCEL_REDIRECT:
        # nginx serves the bytes (sendfile, Range, ETag); Python only said where.
        response = HttpResponse()
        response["X-Accel-Redirect"] = f"{settings.BEARMAN_ARTIFACTS_ACCEL_REDIRECT}/{name}"
        response["Content-Type"] = ""
        return response
    return serve_file(request, path)
