"""Change-feed pollers: publisher APIs that list what changed between two timestamps (CQC's API).

The CQC public API answers `GET /changes/location?startTimestamp=…&endTimestamp=…&page=N&perPage=M`
with `{"changes": [location ids], "page": N, "totalPages": T, …}`. A publication sensor asks it for
the window from its last cursor to now, pages through the ids, and hands them to the source's
`collect` function, which fetches the documents and writes the file(s) to land (for example one JSON
file of changed locations, with its snapshot date as the period). Only when `collect` succeeds does
the window's end become the new cursor, so a failed poll asks for the same window again.

A source with a change feed registers it in CHANGE_FEEDS below (the CQC API locations source does:
its `collect` is `sources/cqc/feed.py`). `collect(ids, window, fetch_json, dest_dir) -> list[Path]` gets the changed ids, the window and a
`fetch_json(url)` helper (same client, headers, timeouts), and returns files in `dest_dir` to land.
The generic part (window cursor, paging, headers, overrides, error handling) is here and tested
against a loopback server; nothing else needs to change for the sensor to poll the API.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx

from dagster_project.automation.polling import Fetched, Http, PollResult
from dagster_project.ingest.landing import sha256_of
from dagster_project.settings import Settings

Window = tuple[dt.datetime, dt.datetime]
Collect = Callable[[list[str], Window, Callable[[str], dict], Path], list[Path]]


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ChangeFeed:
    url: str
    collect: Collect
    # Environment variable holding the API key, and the header it goes in (CQC: Azure API Management).
    api_key_env: str | None = None
    api_key_header: str = "Ocp-Apim-Subscription-Key"
    start_param: str = "startTimestamp"
    end_param: str = "endTimestamp"
    page_param: str = "page"
    per_page_param: str = "perPage"
    per_page: int = 1000
    items_field: str = "changes"
    total_pages_field: str = "totalPages"
    # How far back the very first poll looks (later polls start where the last one ended).
    first_window: dt.timedelta = dt.timedelta(days=1)
    # Where the feed is, from settings (a base-URL override moves it with the rest of the API).
    url_from_settings: Callable[[Settings], str] | None = None

    def with_url(self, url: str) -> "ChangeFeed":
        return dataclasses.replace(self, url=url)


def _cqc_locations_feed() -> ChangeFeed:
    from dagster_project.sources.cqc.feed import changes_url, collect_changed_locations
    from dagster_project.sources.ratings import CQC_API_BASE_URL

    return ChangeFeed(
        url=CQC_API_BASE_URL + "/changes/location",
        collect=collect_changed_locations,
        api_key_env="NHS_WAREHOUSE_CQC_API_KEY",
        url_from_settings=changes_url,
    )


# source key -> its change feed. The locations feed also refreshes providers (one capture).
CHANGE_FEEDS: dict[str, ChangeFeed] = {"cqc_api_locations": _cqc_locations_feed()}


@dataclass
class ChangeFeedPoller:
    feed: ChangeFeed
    name: str = "change_feed"
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    def poll(self, state: dict, dest_dir: Path, http: Http) -> PollResult:
        feed = self.feed
        until = self.now()
        since = dt.datetime.fromisoformat(state["until"]) if state.get("until") else until - feed.first_window
        headers = dict(http.headers or {})
        if feed.api_key_env and os.environ.get(feed.api_key_env):
            headers[feed.api_key_header] = os.environ[feed.api_key_env]
        with httpx.Client(timeout=httpx.Timeout(http.timeout_s), headers=headers, follow_redirects=True) as client:

            def fetch_json(url: str, params: dict | None = None) -> dict:
                response = client.get(url, params=params)
                response.raise_for_status()
                return response.json()

            try:
                ids: list[str] = []
                page, pages = 1, 1
                while page <= pages:
                    body = fetch_json(
                        feed.url,
                        {
                            feed.start_param: _iso(since),
                            feed.end_param: _iso(until),
                            feed.page_param: page,
                            feed.per_page_param: feed.per_page,
                        },
                    )
                    ids.extend(str(i) for i in body.get(feed.items_field) or [])
                    pages = int(body.get(feed.total_pages_field) or 1)
                    page += 1
                paths = feed.collect(ids, (since, until), fetch_json, dest_dir) if ids else []
            except (httpx.HTTPError, ValueError) as exc:
                return PollResult([], state, [f"{feed.url} {_iso(since)}..{_iso(until)}: {type(exc).__name__}: {exc}"])
        files = [Fetched(Path(p), feed.url, Path(p).name, sha256_of(Path(p))) for p in paths]
        notes = [f"{len(ids)} changed ids between {_iso(since)} and {_iso(until)}"]
        return PollResult(files, {**state, "until": until.isoformat()}, notes)
