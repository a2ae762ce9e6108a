"""A small JSON client of Bearman's REST API over urllib (no dependencies to install)."""

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from .config import Config
from .errors import ApiError, ServerUnreachable

USER_AGENT = "bearman-cli-operator/1"
LARGE_PAGE = 500


class ApiClient:
    def __init__(self, config: Config, *, timeout: float = 30):
        self.base = config.url
        self.token = config.token
        self.timeout = timeout

    def get(self, path: str, params: dict | None = None):
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict | None = None):
        return self.request("POST", path, body=body or {})

    def patch(self, path: str, body: dict):
        return self.request("PATCH", path, body=body)

    def delete(self, path: str):
        return self.request("DELETE", path)

    def upload(self, path: str, data: bytes, content_type: str, params: dict | None = None):
        """POST a file's bytes as they are (a CSV), not as JSON."""
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(_without_none(params))
        headers = {**self._headers(None), "Content-Type": content_type}
        return self._send(urllib.request.Request(url, data=data, method="POST", headers=headers))

    def each(self, path: str, params: dict | None = None, limit: int | None = None) -> Iterator:
        """Every result of a paginated list, following `next` (at most `limit`)."""
        # Large pages, fewer round trips; the server caps the size at its maximum.
        size = min(limit, LARGE_PAGE) if limit else LARGE_PAGE
        page = self.get(path, {**(params or {}), "page_size": size})
        seen = 0
        while True:
            for item in page["results"]:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield item
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])

    def request(self, method: str, path: str, *, params: dict | None = None, body=None):
        url = path if path.startswith(("http://", "https://")) else self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(_without_none(params), doseq=True)
        request = urllib.request.Request(url, method=method, headers=self._headers(body))
        if body is not None:
            request.data = json.dumps(body).encode()
        return self._send(request)

    def _headers(self, body) -> dict:
        headers = {
            "Authorization": f"Token {self.token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def _send(self, request: urllib.request.Request):
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise _api_error(error) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise ServerUnreachable(f"Cannot reach {self.base}: {reason}") from None
        return json.loads(payload) if payload else None


def _without_none(params: dict) -> dict:
    return {key: value for key, value in params.items() if value not in (None, [], "")}


def _api_error(error: urllib.error.HTTPError) -> ApiError:
    try:
        detail = json.loads(error.read())["error"]
        return ApiError(error.code, detail["message"], detail.get("fields"))
    except (ValueError, KeyError, TypeError):
        return ApiError(error.code, f"HTTP {error.code} {error.reason} from {error.url}")
