"""Fetch a publisher's file over HTTP(S): timeouts, retries with backoff, conditional GET, size limit.

The body streams to a temporary file in the destination folder while its sha256 is computed, so a
large file never sits in memory and a partial download never looks like a whole one. A 304 answer to
a conditional GET (ETag / Last-Modified from the previous fetch) means nothing changed.

Every attempt is bounded in time as a whole, not only per read: a server that drips a byte at a time
never trips a read timeout. Transient faults (connection reset, a body shorter than its
Content-Length, 429/5xx, too slow) are retried a bounded number of times, honouring Retry-After up
to a limit; a publisher that asks for a longer wait gets a clear failure now rather than a sleeping
sensor. The failure names the URL and lists what each attempt met.
"""

from __future__ import annotations

import email.utils
import fcntl
import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from dagster_project.ingest.landing import sweep_temp_files

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
STALE_DOWNLOAD_S = 3600.0
MAX_RETRY_AFTER_S = 300.0
USER_AGENT = "nhs-warehouse (+https://github.com/; open data loader)"


class FetchError(Exception):
    """`reason`: gave_up (retries spent), retry_later (Retry-After over the limit), http_error (4xx),
    too_large, store_failed (could not write the download), fetch_failed."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        reason: str = "fetch_failed",
        attempts: list[str] | None = None,
    ) -> None:
        self.url = url
        self.status = status
        self.reason = reason
        self.message = message
        self.attempts = list(attempts or [])
        super().__init__(f"{url}: {message}")

    def as_record(self) -> dict:
        """For a failure log or an alert: what failed, why, and what each attempt met."""
        return {"url": self.url, "reason": self.reason, "status": self.status, "message": self.message, "attempts": self.attempts}


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: str  # fetched | not_modified
    path: Path | None = None
    sha256: str | None = None
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 1
    file_name: str | None = None

    def downloaded(self) -> tuple[Path, str]:
        """The downloaded file and its SHA-256: a `fetched` result has both, `not_modified` neither."""
        if self.path is None or self.sha256 is None:
            raise ValueError(f"{self.url}: {self.status}, nothing was downloaded")
        return self.path, self.sha256


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _file_name(url: str, response: httpx.Response) -> str:
    disposition = response.headers.get("content-disposition", "")
    if "filename=" in disposition:
        return disposition.split("filename=", 1)[1].strip().strip('"').split(";")[0]
    return Path(httpx.URL(url).path).name or "download"


def fetch(
    url: str,
    dest_dir: Path,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = 30.0,
    retries: int = 4,
    backoff_s: float = 1.0,
    max_bytes: int = 200 * 1024 * 1024,
    headers: dict[str, str] | None = None,
    client: httpx.Client | None = None,
    sleep=time.sleep,
    attempt_deadline_s: float = 600.0,
    max_retry_after_s: float = MAX_RETRY_AFTER_S,
) -> FetchResult:
    """GET `url` into a new file under `dest_dir`; retry transient failures up to `retries` times.

    Each attempt may take at most `attempt_deadline_s` in all (headers and body).
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    # Downloads a killed process left behind. A finished download is its caller's until taken in
    # (minutes at most), so only old ones go; one in progress is locked by its writer.
    sweep_temp_files(dest_dir, ".fetch-*", min_age_s=STALE_DOWNLOAD_S)
    request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    own_client = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=True)
    met: list[str] = []
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                return _fetch_once(client, url, dest_dir, request_headers, max_bytes, attempt, attempt_deadline_s)
            except _Retryable as exc:
                met.append(exc.message)
                if exc.retry_after is not None and exc.retry_after > max_retry_after_s:
                    raise FetchError(
                        f"{exc.message}: the publisher asks to retry after {exc.retry_after:,.0f} s, longer than the "
                        f"{max_retry_after_s:,.0f} s a fetch waits; try again later",
                        url=url,
                        status=exc.status,
                        reason="retry_later",
                        attempts=met,
                    ) from None
                if attempt > retries:
                    raise FetchError(
                        f"gave up after {attempt} attempts: {'; '.join(met)}",
                        url=url,
                        status=exc.status,
                        reason="gave_up",
                        attempts=met,
                    ) from None
                delay = exc.retry_after if exc.retry_after is not None else backoff_s * 2 ** (attempt - 1)
                log.warning("fetch %s attempt %d failed (%s); retrying in %.1f s", url, attempt, exc.message, delay)
                sleep(delay)
    finally:
        if own_client:
            client.close()


class _Retryable(Exception):
    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        self.message = message
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


def _fetch_once(
    client: httpx.Client, url: str, dest_dir: Path, headers: dict, max_bytes: int, attempt: int, deadline_s: float
) -> FetchResult:
    started = time.monotonic()
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResult(
                    url,
                    "not_modified",
                    etag=headers.get("If-None-Match"),
                    last_modified=headers.get("If-Modified-Since"),
                    attempts=attempt,
                )
            if response.status_code in RETRYABLE_STATUS:
                raise _Retryable(f"HTTP {response.status_code}", response.status_code, _retry_after(response))
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code}", url=url, status=response.status_code, reason="http_error")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(
                    f"file is {int(declared):,} bytes, over the {max_bytes:,}-byte limit", url=url, reason="too_large"
                )
            digest = hashlib.sha256()
            size = 0
            name = _file_name(url, response)
            # Keep the publisher's extension: readers (CSV vs workbook) are chosen by it.
            fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=".fetch-", suffix=Path(name).suffix or ".bin")
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when the file is closed, or the process dies
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(f"body exceeds the {max_bytes:,}-byte limit", url=url, reason="too_large")
                        if time.monotonic() - started > deadline_s:
                            raise _Retryable(
                                f"too slow: {size:,} bytes in {time.monotonic() - started:.1f} s (limit {deadline_s:g} s)"
                            )
                        digest.update(chunk)
                        out.write(chunk)
            except OSError as exc:
                Path(tmp).unlink(missing_ok=True)
                raise FetchError(f"cannot write the download: {exc.strerror or exc}", url=url, reason="store_failed") from exc
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            return FetchResult(
                url,
                "fetched",
                Path(tmp),
                digest.hexdigest(),
                size,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                attempts=attempt,
                file_name=name,
            )
    except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
        # Connection refused/reset, timeouts, a body shorter than its Content-Length: all transient.
        raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
