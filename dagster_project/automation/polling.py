"""What every poller shares: the HTTP settings of a poll, a fetched file, a poll's result.

Kept apart from the pollers themselves (`pollers.py`: known URLs and index pages; `changes.py`:
change feeds) so both can use them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from dagster_project.ingest.fetch import FetchResult, fetch
from dagster_project.settings import Settings


@dataclass(frozen=True)
class Fetched:
    """A file a poller brought in (a temporary path the sensor lands, then removes)."""

    path: Path
    url: str
    file_name: str
    sha256: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class PollResult:
    files: list[Fetched]
    state: dict
    notes: list[str]
    # Fetches that failed after their retries (FetchError.as_record()), for an alert each.
    failures: list[dict] = field(default_factory=list)


class Poller(Protocol):
    name: str

    def poll(self, state: dict, dest_dir: Path, http: "Http") -> PollResult: ...


@dataclass(frozen=True)
class Http:
    """HTTP settings for one poll. Retries stay low: the next tick is the retry."""

    timeout_s: float
    max_bytes: int
    retries: int = 1
    backoff_s: float = 1.0
    headers: dict | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Http":
        return cls(timeout_s=settings.http_timeout_s, max_bytes=settings.http_max_bytes, backoff_s=settings.http_backoff_s)

    def get(self, url: str, dest_dir: Path, validators: dict | None = None, client: httpx.Client | None = None) -> FetchResult:
        validators = validators or {}
        return fetch(
            url,
            dest_dir,
            etag=validators.get("etag"),
            last_modified=validators.get("last_modified"),
            timeout_s=self.timeout_s,
            retries=self.retries,
            backoff_s=self.backoff_s,
            max_bytes=self.max_bytes,
            headers=self.headers,
            client=client,
        )
