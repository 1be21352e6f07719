"""How to ask a publisher what it has published: conditional GETs on known URLs, index-page links.

A poller turns "what did we see last time" (its state, kept in the publication sensor's cursor)
into files fetched since, each with its HTTP validators. It knows nothing about Dagster; the
publication sensor lands what it brings (the landing sensor requests their loads). Which poller a source gets follows
from its spec (`url_template`, `index_url` + `link_pattern`) or a registered change feed
(`automation/changes.py`, the CQC API).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx

from dagster_project.automation.changes import CHANGE_FEEDS, ChangeFeedPoller
from dagster_project.automation.polling import Fetched, Http, Poller, PollResult
from dagster_project.ingest.fetch import FetchError
from dagster_project.ingest.spec import SourceSpec
from dagster_project.settings import Settings


def check_files(urls: list[str], state: dict, dest_dir: Path, http: Http) -> PollResult:
    """Conditional GET on each URL with the validators seen last; new or changed bytes come back.

    `state["files"]` maps URL -> {etag, last_modified, sha256}. A 304, or a 200 with the bytes we
    already have (a server that ignores validators), brings nothing.
    """
    known: dict[str, dict] = dict(state.get("files", {}))
    files, notes, failures = [], [], []
    for url in urls:
        seen = known.get(url, {})
        try:
            result = http.get(url, dest_dir, seen)
        except FetchError as exc:
            if exc.status == 404:
                continue  # not published (yet)
            notes.append(f"{url}: {exc}")
            failures.append(exc.as_record())
            continue
        if result.status == "not_modified":
            continue
        path, sha256 = result.downloaded()
        known[url] = {"etag": result.etag, "last_modified": result.last_modified, "sha256": sha256}
        if sha256 == seen.get("sha256"):
            path.unlink(missing_ok=True)
            continue
        files.append(Fetched(path, url, result.file_name or Path(url).name, sha256, result.etag, result.last_modified))
    return PollResult(files, {**state, "files": known}, notes, failures)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def links(page: str, base_url: str, pattern: str) -> list[str]:
    """Absolute URLs of the page's links whose path matches `pattern`, in page order, once each."""
    parser = _Links()
    parser.feed(page)
    wanted = re.compile(pattern)
    out: list[str] = []
    for href in parser.hrefs:
        url = urljoin(base_url, href.strip())
        if wanted.search(httpx.URL(url).path) and url not in out:
            out.append(url)
    return out


@dataclass
class KnownUrlPoller:
    """A publication at predictable URLs: `url_template` with `{period}` for the latest periods."""

    url_template: str
    periods: list[str]
    name: str = "known_urls"

    def poll(self, state: dict, dest_dir: Path, http: Http) -> PollResult:
        urls = [self.url_template.format(period=p) for p in self.periods]
        # Files fetched before stay watched: publishers revise a month at the same URL.
        urls += [u for u in state.get("files", {}) if u not in urls]
        return check_files(urls, state, dest_dir, http)


@dataclass
class IndexPoller:
    """A publisher's index page that links each file, with dates or hashes in the names."""

    index_url: str
    link_pattern: str
    name: str = "index_page"

    def poll(self, state: dict, dest_dir: Path, http: Http) -> PollResult:
        try:
            page = http.get(self.index_url, dest_dir, state.get("index"))
        except FetchError as exc:
            return PollResult([], state, [f"index {self.index_url}: {exc}"], [exc.as_record()])
        state = dict(state)
        if page.status == "fetched":
            path, _ = page.downloaded()
            html = path.read_text(errors="replace")
            path.unlink(missing_ok=True)
            state["index"] = {"etag": page.etag, "last_modified": page.last_modified}
            state["links"] = links(html, self.index_url, self.link_pattern)
        # Every linked file, every poll: a revision replaces a file at the same URL (new ETag).
        return check_files(state.get("links", []), state, dest_dir, http)


def default_link_pattern(spec: SourceSpec) -> str:
    return spec.link_pattern or rf"(?i)\.{spec.format}$"


def recent_periods(spec: SourceSpec, today: dt.date, count: int = 3) -> list[str]:
    """The latest `count` monthly periods up to today (what a `{period}` template may have now)."""
    if spec.partitioning != "monthly":
        return []
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(f"{year:04d}-{month:02d}-01")
    return sorted(out)


def pollers_for(spec: SourceSpec, settings: Settings, today: dt.date | None = None) -> list[Poller]:
    """The pollers a source's spec calls for; a URL override (NHS_WAREHOUSE_URL_<SOURCE>) replaces its URL."""
    override = settings.source_urls.get(spec.key)
    if spec.key in CHANGE_FEEDS:
        feed = CHANGE_FEEDS[spec.key]
        url = override or (feed.url_from_settings(settings) if feed.url_from_settings else feed.url)
        return [ChangeFeedPoller(feed.with_url(url))]
    if spec.url_template:
        template = override if override and "{period}" in override else spec.url_template
        return [KnownUrlPoller(template, recent_periods(spec, today or dt.date.today()))]
    if spec.index_url:
        return [IndexPoller(override or spec.index_url, default_link_pattern(spec))]
    return []
