"""A client for the CQC public API v1 that captures a snapshot of it as a folder of documents.

It pages through the list endpoints (`/locations`, `/providers`, filtered by local authority or
region), fetches each listed document (`/locations/{id}`, `/providers/{id}`), and asks
`/changes/location` what changed between two timestamps. Every request goes through
`ingest.fetch.fetch`: the subscription key header, timeouts, retries of transient failures with
backoff, and 429 answers honoured by waiting their Retry-After. Documents are saved byte for byte
in the capture layout (`capture.py`), so what lands is exactly what the API served.

A capture is written to a fresh folder and only then handed to intake; a failure midway leaves no
partial snapshot behind, and the warehouse keeps the previous one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

from dagster_project.ingest.fetch import FetchError, fetch
from dagster_project.sources.cqc.capture import CAPTURE_FILE, LOCATIONS, PROVIDERS, Entity

log = logging.getLogger(__name__)

DEFAULT_PER_PAGE = 1000
MAX_PAGES = 10_000  # a guard against an API whose nextPageUri never ends


class CqcApiError(FetchError):
    """The API answered, but not with what the client can use (e.g. malformed JSON)."""


@dataclass
class CqcApiClient:
    base_url: str
    api_key: str | None = None
    key_header: str = "Ocp-Apim-Subscription-Key"
    timeout_s: float = 30.0
    retries: int = 4
    backoff_s: float = 1.0
    max_bytes: int = 50 * 1024 * 1024
    sleep: Callable[[float], None] = time.sleep
    work_dir: Path | None = None
    requests: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(self.timeout_s), follow_redirects=True)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "CqcApiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------

    def url(self, path_or_uri: str, params: dict[str, Any] | None = None) -> str:
        """`/locations` or a `nextPageUri` (relative to the API root, as CQC writes them) -> URL."""
        if path_or_uri.startswith(("http://", "https://")):
            url = httpx.URL(path_or_uri)
        else:
            url = httpx.URL(self.base_url.rstrip("/") + "/" + path_or_uri.lstrip("/"))
        if params:
            url = url.copy_merge_params({k: v for k, v in params.items() if v not in (None, "")})
        return str(url)

    def get_bytes(self, path_or_uri: str, params: dict[str, Any] | None = None) -> tuple[str, bytes]:
        url = self.url(path_or_uri, params)
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers[self.key_header] = self.api_key
        work = Path(self.work_dir or Path.cwd())
        result = fetch(
            url,
            work,
            timeout_s=self.timeout_s,
            retries=self.retries,
            backoff_s=self.backoff_s,
            max_bytes=self.max_bytes,
            headers=headers,
            client=self._client,
            sleep=self.sleep,
        )
        self.requests += result.attempts
        path, _ = result.downloaded()  # no validators were sent, so never `not_modified`
        try:
            return url, path.read_bytes()
        finally:
            path.unlink(missing_ok=True)

    def get_json(self, path_or_uri: str, params: dict[str, Any] | None = None) -> tuple[bytes, Any]:
        url, body = self.get_bytes(path_or_uri, params)
        try:
            return body, json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CqcApiError(f"malformed JSON ({exc}); first bytes: {body[:80]!r}", url=url, reason="malformed") from exc

    # -- endpoints --------------------------------------------------------------------------

    def pages(self, path: str, items_key: str, params: dict[str, Any]) -> Iterator[tuple[int, bytes, dict]]:
        """(page number, bytes, parsed page) of a paged list endpoint, following nextPageUri."""
        body, page = self.get_json(path, params)
        number = 1
        while True:
            if not isinstance(page, dict) or not isinstance(page.get(items_key), list):
                raise CqcApiError(f"page {number} has no '{items_key}' list", url=self.url(path, params), reason="malformed")
            yield number, body, page
            next_uri = page.get("nextPageUri")
            if not next_uri:
                return
            number += 1
            if number > MAX_PAGES:
                raise CqcApiError(f"more than {MAX_PAGES} pages", url=self.url(path, params), reason="too_many_pages")
            body, page = self.get_json(next_uri)

    def changed_ids(self, entity: Entity, start: dt.datetime, end: dt.datetime, per_page: int = DEFAULT_PER_PAGE) -> list[str]:
        """Ids of `entity` that changed between two timestamps (`/changes/location`)."""
        params = {"startTimestamp": _timestamp(start), "endTimestamp": _timestamp(end), "perPage": per_page, "page": 1}
        ids: list[str] = []
        for _, _, page in self.pages(f"/changes/{entity.singular}", "changes", params):
            ids.extend(str(i) for i in page["changes"])
        return ids

    # -- a capture --------------------------------------------------------------------------

    def capture(
        self,
        dest: Path,
        *,
        local_authority: str | None = None,
        region: str | None = None,
        per_page: int = DEFAULT_PER_PAGE,
        entities: tuple[Entity, ...] = (LOCATIONS, PROVIDERS),
        previous: Path | None = None,
        changed_since: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> dict:
        """Capture the API into the new folder `dest`; returns the capture record written beside it.

        With `previous` (an earlier capture folder) and `changed_since`, documents the changes
        endpoint does not name are copied from `previous` instead of fetched again: list pages are
        always fetched, so new and removed registrations are seen.
        """
        now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
        dest = Path(dest)
        if dest.exists() and any(dest.iterdir()):
            raise FileExistsError(f"{dest} is not empty: a capture goes into a new folder")
        dest.mkdir(parents=True, exist_ok=True)
        self.work_dir = dest
        filters = {"localAuthority": local_authority, "region": region}
        counts: dict[str, dict[str, int]] = {}
        try:
            for entity in entities:
                counts[entity.plural] = self._capture_entity(entity, dest, filters, per_page, previous, changed_since, now)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        record = {
            "as_at": now.date().isoformat(),
            "as_at_rule": "the day the client captured the API (UTC)",
            "captured_at": now.isoformat(),
            "base_url": self.base_url,
            "filters": {k: v for k, v in filters.items() if v},
            "per_page": per_page,
            "documents": counts,
            "incremental_since": _timestamp(changed_since) if previous is not None and changed_since else None,
        }
        (dest / CAPTURE_FILE).write_text(json.dumps(record, indent=2, sort_keys=True))
        return record

    def _capture_entity(self, entity, dest, filters, per_page, previous, changed_since, now) -> dict[str, int]:
        ids: list[str] = []
        params = {"page": 1, "perPage": per_page, **filters}
        for number, body, page in self.pages(f"/{entity.plural}", entity.plural, params):
            _write(dest / entity.list_page_name(number), body)
            ids.extend(str(item.get(entity.id_field)) for item in page[entity.plural] if isinstance(item, dict))
        changed: set[str] | None = None
        if previous is not None and changed_since is not None:
            changed = set(self.changed_ids(entity, changed_since, now, per_page))
        fetched = copied = 0
        for identifier in dict.fromkeys(ids):
            name = entity.detail_name(identifier)
            kept = Path(previous) / name if previous is not None else None
            if changed is not None and identifier not in changed and kept is not None and kept.exists():
                _write(dest / name, kept.read_bytes())
                copied += 1
                continue
            _, body = self.get_bytes(f"/{entity.plural}/{identifier}")
            _write(dest / name, body)
            fetched += 1
        return {"listed": len(ids), "fetched": fetched, "copied": copied}


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _timestamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_for(settings) -> CqcApiClient:
    """A client configured from settings: base URL (overridable), key, HTTP timeouts and retries."""
    from dagster_project.sources.ratings import CQC_API_BASE_URL, CQC_API_KEY_HEADER, CQC_API_SOURCE

    return CqcApiClient(
        settings.source_url(CQC_API_SOURCE, CQC_API_BASE_URL),
        api_key=settings.cqc_api_key,
        key_header=CQC_API_KEY_HEADER,
        timeout_s=settings.http_timeout_s,
        retries=settings.http_retries,
        backoff_s=settings.http_backoff_s,
    )


def capture_to_landing(settings, *, previous: Path | None = None, changed_since: dt.datetime | None = None, now=None):
    """Capture the API as the settings say (base URL, key, local authority/region) and land it.

    Returns (capture record, intake results: one per API source). The folder is temporary: the
    landed bundles are the record of the capture.
    """
    import tempfile

    from dagster_project.ingest.intake import intake_folder
    from dagster_project.ingest.landing import LandingStore
    from dagster_project.sources import SOURCES

    store = LandingStore(settings.landing_dir, settings.quarantine_dir)
    with tempfile.TemporaryDirectory(prefix="cqc-capture-") as work:
        folder = Path(work) / "capture"
        with client_for(settings) as client:
            record = client.capture(
                folder,
                local_authority=settings.cqc_local_authority,
                region=settings.cqc_region,
                previous=previous,
                changed_since=changed_since,
                now=now,
            )
        api_specs = [SOURCES[key] for key in ("cqc_api_locations", "cqc_api_providers")]
        results = []
        for spec in api_specs:
            results.extend(intake_folder(folder, store, SOURCES.values(), spec=spec))
    return record, results
