"""Publication sensors against a loopback publisher: new files and revisions load, nothing else does.

The loopback server plays NHS England's statistics page: an index page linking monthly CSVs, each
served with an ETag. The "revision" is a copy of the real June 2023 file with one provider's count
changed (and the England total with it), as NHS England's revised vintages do.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings

import pytest
from tests.conftest import uec_sample
from dagster import build_sensor_context, instance_for_test
from tests.support.loopback import LoopbackHTTPServer
from tests.support.publisher import LoopbackServer, Publisher
from tests.support.vintages import edited_vintage

from dagster_project.automation.changes import ChangeFeed, ChangeFeedPoller
from dagster_project.automation.pollers import links
from dagster_project.automation.polling import Http
from dagster_project.definitions import build_definitions
from dagster_project.ingest.landing import LandingStore, sha256_of

INDEX = "/statistics/ae-waiting-times-and-activity/"
JUNE = "/uploads/2023/07/Monthly-AE-June-2023.csv"


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


def publication_sensor(settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_definitions(settings).get_sensor_def("publication_uec_ae_monthly")


def index_page(*hrefs: str) -> bytes:
    items = "".join(f'<li><a href="{h}">{h.rsplit("/", 1)[-1]}</a></li>' for h in hrefs)
    return f"<html><body><h1>A&amp;E Attendances</h1><ul>{items}<li><a href='/about'>About</a></li></ul></body></html>".encode()


def landing_sensor(settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_definitions(settings).get_sensor_def("landing_folder")


def test_a_revised_month_with_a_new_etag_lands_once_and_is_requested_as_new_work(home, instance, tmp_path):
    revised = edited_vintage(
        uec_sample("June-2023"), tmp_path / "revised.csv", org_code="R1K", column="A&E attendances Type 1", delta=100
    )
    publisher = Publisher()
    with LoopbackServer(publisher) as server:
        publisher.publish(INDEX, index_page(JUNE, "Monthly-AE-May-2023.csv"), etag='"index-1"', content_type="text/html")
        publisher.publish(JUNE, uec_sample("June-2023").read_bytes(), etag='"june-v1"')
        publisher.publish(INDEX + "Monthly-AE-May-2023.csv", uec_sample("May-2023").read_bytes(), etag='"may-v1"')
        settings = home.replace(source_urls={"uec_ae_monthly": server.base_url + INDEX})
        sensor, loads = publication_sensor(settings), landing_sensor(settings)
        store = LandingStore(settings.landing_dir, settings.quarantine_dir)

        first = sensor(build_sensor_context(instance=instance, cursor=None))
        assert sorted(p for f in store.files("uec_ae_monthly") for p in f.periods) == ["2023-05-01", "2023-06-01"]
        # The landing sensor loads what the publication sensor landed: one run over both months.
        [both] = loads(build_sensor_context(instance=instance)).run_requests
        assert both.job_name == "load_uec_ae_monthly"
        assert (both.tags["dagster/asset_partition_range_start"], both.tags["dagster/asset_partition_range_end"]) == (
            "2023-05-01",
            "2023-06-01",
        )
        may_v1, june_v1 = (sha256_of(uec_sample(m)) for m in ("May-2023", "June-2023"))

        publisher.requests.clear()
        second = sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert {r["status"] for r in publisher.requests} == {304}, "nothing changed: every conditional GET answered 304"
        assert len(store.files("uec_ae_monthly")) == 2
        [same] = loads(build_sensor_context(instance=instance)).run_requests
        assert same.run_key == both.run_key, "the same work waiting: the same run key, which Dagster runs once"

        publisher.publish(JUNE, revised.read_bytes(), etag='"june-v2"')
        sensor(build_sensor_context(instance=instance, cursor=second.cursor))
        [request] = loads(build_sensor_context(instance=instance)).run_requests
        assert request.run_key != both.run_key, "a revision is new work"
        # Waiting now: May's first vintage and June's revision (the first June vintage is superseded).
        from dagster_project.automation.requests import run_key

        assert request.run_key == run_key("uec_ae_monthly", ["2023-05-01", "2023-06-01"], [may_v1, sha256_of(revised)])
        assert june_v1 != sha256_of(revised)

    june = [f for f in store.files("uec_ae_monthly") if "2023-06-01" in f.periods]
    assert [(f.etag, f.url) for f in june] == [('"june-v1"', server.base_url + JUNE), ('"june-v2"', server.base_url + JUNE)]


def test_index_links_are_filtered_by_the_publications_pattern():
    page = index_page(
        "/a/Monthly-AE-June-2024.csv", "/a/Monthly-AE-June-2024-revised.csv", "/a/Quarterly-AE-Q1.csv", "/b.xlsx"
    ).decode()
    pattern = r"(?i)monthly-ae-[a-z]+-\d{4}[^/]*\.csv$"
    assert links(page, "https://example.org/stats/", pattern) == [
        "https://example.org/a/Monthly-AE-June-2024.csv",
        "https://example.org/a/Monthly-AE-June-2024-revised.csv",
    ]


class ChangesApi(LoopbackHTTPServer):
    """CQC's /changes/location: ids changed in a window, paged; records each window asked for."""

    def __init__(self, pages):
        super().__init__()
        self.pages = pages
        self.windows = []

    def handler(self):
        from http.server import BaseHTTPRequestHandler
        from urllib.parse import parse_qs, urlparse

        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                api.windows.append(
                    (
                        query["startTimestamp"],
                        query["endTimestamp"],
                        int(query["page"]),
                        self.headers.get("Ocp-Apim-Subscription-Key"),
                    )
                )
                page = int(query["page"])
                body = json.dumps({"changes": api.pages[page - 1], "page": page, "totalPages": len(api.pages)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def test_change_feed_pages_through_the_window_and_moves_its_cursor_only_on_success(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_CQC_KEY", "secret-key")
    collected = []

    def collect(ids, window, fetch_json, dest_dir):
        collected.append(ids)
        path = dest_dir / "changed.json"
        path.write_text(json.dumps({"ids": ids}))
        return [path]

    times = iter([dt.datetime(2025, 3, 2, 6, tzinfo=dt.timezone.utc), dt.datetime(2025, 3, 3, 6, tzinfo=dt.timezone.utc)])
    with ChangesApi(pages=[["1-101", "1-102"], ["1-103"]]) as api:
        feed = ChangeFeed(url=api.url + "/changes/location", collect=collect, api_key_env="TEST_CQC_KEY")
        poller = ChangeFeedPoller(feed, now=lambda: next(times))
        first = poller.poll({}, tmp_path, Http(timeout_s=5, max_bytes=10**6))
        second = poller.poll(first.state, tmp_path, Http(timeout_s=5, max_bytes=10**6))
    assert collected == [["1-101", "1-102", "1-103"]] * 2
    assert [w[:3] for w in api.windows] == [
        ("2025-03-01T06:00:00Z", "2025-03-02T06:00:00Z", 1),
        ("2025-03-01T06:00:00Z", "2025-03-02T06:00:00Z", 2),
        ("2025-03-02T06:00:00Z", "2025-03-03T06:00:00Z", 1),
        ("2025-03-02T06:00:00Z", "2025-03-03T06:00:00Z", 2),
    ]
    assert {w[3] for w in api.windows} == {"secret-key"}
    assert [f.file_name for f in first.files] == ["changed.json"]

    # The API down: the poll brings nothing and keeps its cursor, so the next poll asks for the same window.
    down = ChangeFeedPoller(feed, now=lambda: dt.datetime(2025, 3, 4, 6, tzinfo=dt.timezone.utc)).poll(
        second.state, tmp_path, Http(timeout_s=2, max_bytes=10**6)
    )
    assert down.files == [] and down.state == second.state and down.notes
