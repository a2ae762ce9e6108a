"""Downloading boot artifacts over HTTP(S), verified against their sha256, retried with backoff."""

from __future__ import annotations

import hashlib
import random
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from bearman_agent.errors import ChecksumMismatch, DownloadFailed, one_line
from bearman_agent.output import progress, warn

CHUNK = 1024 * 1024
TIMEOUT = 60.0


def download(
    url: str,
    target: Path,
    *,
    sha256: str = "",
    attempts: int = 5,
    base_delay: float = 1.0,
) -> Path:
    """The file at url saved as target, its sha256 checked when given; DownloadFailed else."""
    _check_url(url)
    progress(f"downloading {url}")
    attempts = max(attempts, 1)
    for attempt in range(1, attempts + 1):
        try:
            digest = _fetch(url, target)
            break
        except DownloadFailed as failure:
            if attempt == attempts or not _retryable(failure):
                raise
            delay = min(base_delay * 2 ** (attempt - 1), 30.0) * random.uniform(0.5, 1.0)
            warn(f"{failure}; retrying in {delay:.1f} s")
            time.sleep(delay)
    _verify(url, digest, sha256)
    progress(f"downloaded {url} ({target.stat().st_size} bytes)")
    return target


def _check_url(url: str) -> None:
    """DownloadFailed for anything but an http(s) URL (urllib would also open file:// paths)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise DownloadFailed(f"cannot download {url!r}: only http and https URLs are supported")


def _fetch(url: str, target: Path) -> str:
    """Stream url into target; its sha256 in hex."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, target.open("wb") as out:
            for chunk in iter(lambda: response.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as failure:
        raise _HttpFailed(url, failure.code, failure.reason) from None
    except (urllib.error.URLError, OSError) as failure:
        reason = getattr(failure, "reason", failure)
        raise DownloadFailed(f"download of {url} failed: {one_line(str(reason))}") from None
    return digest.hexdigest()


class _HttpFailed(DownloadFailed):
    """The server answered with an HTTP error status."""

    def __init__(self, url: str, status: int, reason: str | None) -> None:
        super().__init__(f"download of {url} failed: HTTP {status} {reason or ''}".rstrip())
        self.status = status


def _retryable(failure: DownloadFailed) -> bool:
    """Network trouble and server-side errors may pass; 4xx answers will not."""
    status = getattr(failure, "status", None)
    return status is None or status >= 500 or status in (408, 429)


def _verify(url: str, actual: str, expected: str) -> None:
    """ChecksumMismatch when an expected sha256 is given and differs."""
    if expected and actual != expected.strip().lower():
        raise ChecksumMismatch(f"sha256 mismatch for {url}: expected {expected}, got {actual}")
