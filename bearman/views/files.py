"""Serving a file from disk the way a static web server does: streamed, with Range,
ETag and Last-Modified, so that a boot artifact resumes and caches like nginx's."""

import mimetypes
import os
import re
from pathlib import Path

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

CHUNK = 256 * 1024
SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def file_etag(stat: os.stat_result) -> str:
    """nginx's ETag form: hex mtime and size."""
    return f'"{int(stat.st_mtime):x}-{stat.st_size:x}"'


def requested_range(header: str, size: int) -> tuple[int, int] | None | str:
    """(first, last) of a single byte range; None to send it all; 'unsatisfiable'."""
    match = SINGLE_RANGE.match(header.replace(" ", ""))
    if not match:
        return None  # absent, malformed or multiple ranges: the whole file is a valid answer
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        return (max(size - length, 0), size - 1) if length else "unsatisfiable"
    first, last = int(first), min(int(last) if last else size - 1, size - 1)
    return (first, last) if first <= last and first < size else "unsatisfiable"


def serve_file(request, path: Path) -> HttpResponse:
    """A GET/HEAD answer for the file at `path` (which must exist)."""
    stat = path.stat()
    etag, modified = file_etag(stat), int(stat.st_mtime)
    conditional = get_conditional_response(request, etag=etag, last_modified=modified)
    if conditional is not None:
        return conditional
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    wanted = None
    if "HTTP_RANGE" in request.META and _if_range_matches(request, etag, modified):
        wanted = requested_range(request.META["HTTP_RANGE"], stat.st_size)
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{stat.st_size}"
    elif wanted is None:
        response = FileResponse(path.open("rb"), content_type=content_type)
    else:
        first, last = wanted
        response = StreamingHttpResponse(
            _read_span(path, first, last - first + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {first}-{last}/{stat.st_size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    return response


def _if_range_matches(request, etag: str, modified: int) -> bool:
    condition = request.META.get("HTTP_IF_RANGE")
    if not condition:
        return True
    if condition.startswith('"'):
        return condition == etag
    return parse_http_date_safe(condition) == modified


def _read_span(path: Path, offset: int, length: int):
    with path.open("rb") as handle:
        handle.seek(offset)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
