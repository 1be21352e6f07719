"""Network faults against the loopback publisher: each is retried within limits, then fails clearly.

The publisher (tests/support/publisher.py) serves the real June 2023 A&E file and plays one fault per
request: a connection reset, a slow drip, a 503 with Retry-After, a Content-Length that is wrong
either way. Backoff sleeps are recorded rather than slept, so the limits show without waiting.
"""

from __future__ import annotations

import email.utils
import os
import time
import warnings

import duckdb
import pytest

from dagster_project.ingest.fetch import FetchError, fetch
from dagster_project.ingest.intake import intake
from dagster_project.ingest.landing import LandingStore, sha256_of
from dagster_project.sources import SOURCES
from tests.conftest import uec_sample
from tests.support.publisher import LoopbackServer, Publisher

PATH = "/statistics/Monthly-AE-June-2023.csv"
REAL = uec_sample("June-2023")
RETRIES = 2  # three attempts in all


@pytest.fixture
def publisher():
    pub = Publisher()
    pub.publish(PATH, REAL.read_bytes())
    with LoopbackServer(pub) as server:
        yield pub, server


def _fetch(server, dest, **kwargs):
    sleeps: list[float] = []
    kwargs = {"retries": RETRIES, "backoff_s": 0.5, "timeout_s": 5.0, "sleep": sleeps.append} | kwargs
    try:
        return fetch(server.url(PATH), dest, **kwargs), sleeps
    except FetchError as exc:
        exc.sleeps = sleeps
        raise


def _nothing_partial(dest):
    return [p.name for p in dest.iterdir()] if dest.exists() else []


@pytest.mark.parametrize("fault", ["reset", "drop", "short_body", "503", "429"])
def test_one_fault_is_retried_and_the_file_arrives_whole(publisher, tmp_path, fault):
    pub, server = publisher
    pub.faults = [fault]
    result, sleeps = _fetch(server, tmp_path / "dl")
    assert result.attempts == 2 and result.sha256 == sha256_of(REAL)
    assert len(sleeps) == 1
    assert _nothing_partial(tmp_path / "dl") == [result.path.name]


@pytest.mark.parametrize(
    "fault, met",
    [
        ("reset", "reset"),
        ("drop", "Server disconnected"),
        ("short_body", "without sending complete message body"),
        ("503", "HTTP 503"),
    ],
)
def test_a_fault_that_persists_fails_clearly_after_the_retry_limit(publisher, tmp_path, fault, met):
    pub, server = publisher
    pub.faults = [fault] * 10
    with pytest.raises(FetchError) as err:
        _fetch(server, tmp_path / "dl")
    exc = err.value
    assert len(pub.requests) == RETRIES + 1, "retried exactly up to the limit"
    assert exc.reason == "gave_up"
    assert PATH in str(exc) and f"gave up after {RETRIES + 1} attempts" in str(exc)
    assert len(exc.attempts) == RETRIES + 1 and all(met.casefold() in a.casefold() for a in exc.attempts), exc.attempts
    # Exponential backoff between attempts (0.5, 1.0), or the publisher's Retry-After (0 here).
    assert exc.sleeps == ([0.0, 0.0] if fault == "503" else [0.5, 1.0])
    record = exc.as_record()
    assert record["url"].endswith(PATH) and record["reason"] == "gave_up" and len(record["attempts"]) == 3
    assert _nothing_partial(tmp_path / "dl") == [], "no partial download is left behind"


def test_a_slow_drip_is_cut_off_by_the_attempt_deadline_then_given_up(publisher, tmp_path):
    pub, server = publisher
    # 16 bytes every 50 ms: each read arrives well inside the read timeout, the file would take 90 s.
    pub.faults = ["drip"] * 10
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        _fetch(server, tmp_path / "dl", attempt_deadline_s=0.5)
    assert time.monotonic() - started < 10
    assert len(pub.requests) == RETRIES + 1
    assert all(a.startswith("too slow") for a in err.value.attempts), err.value.attempts
    assert _nothing_partial(tmp_path / "dl") == []


def test_a_slow_drip_once_then_a_good_answer(publisher, tmp_path):
    pub, server = publisher
    pub.faults = ["drip"]
    result, _ = _fetch(server, tmp_path / "dl", attempt_deadline_s=0.5)
    assert result.attempts == 2 and result.sha256 == sha256_of(REAL)


def test_retry_after_is_honoured_as_seconds_or_as_a_date(publisher, tmp_path):
    pub, server = publisher
    pub.faults = ["503"]
    pub.retry_after = "7"
    _, sleeps = _fetch(server, tmp_path / "dl")
    assert sleeps == [7.0]
    pub.faults = ["429"]
    pub.retry_after = email.utils.formatdate(time.time() + 30, usegmt=True)
    _, sleeps = _fetch(server, tmp_path / "dl2")
    assert 25 <= sleeps[0] <= 30


def test_a_retry_after_longer_than_the_limit_fails_now_instead_of_sleeping(publisher, tmp_path):
    pub, server = publisher
    pub.faults = ["503"]
    pub.retry_after = "3600"
    with pytest.raises(FetchError) as err:
        _fetch(server, tmp_path / "dl", max_retry_after_s=300)
    assert err.value.reason == "retry_later" and err.value.sleeps == []
    assert "retry after 3,600 s" in str(err.value) and "try again later" in str(err.value)
    assert len(pub.requests) == 1


def test_a_content_length_shorter_than_the_body_is_caught_when_the_file_is_read(publisher, tmp_path):
    # HTTP cannot tell: the client stops at the promised length and the response looks complete.
    # The truncated bytes never land: intake's parse rejects them (cut mid-row) into quarantine.
    pub, server = publisher
    pub.faults = ["long_body"]
    result, _ = _fetch(server, tmp_path / "dl")
    assert result.size == REAL.stat().st_size // 2
    store = LandingStore(tmp_path / "landing", tmp_path / "quarantine")
    taken = intake(result.path, store, SOURCES.values(), original_name=result.file_name, url=result.url)
    assert taken.status == "rejected" and taken.error["reason"] == "short_row", taken.message
    assert store.files("uec_ae_monthly") == []


# ---------------------------------------------------------------------------------------------
# Through the publication sensor: a fetch that keeps failing is alerted, not only logged

INDEX = "/statistics/ae-waiting-times-and-activity/"
JUNE = "/uploads/2023/07/Monthly-AE-June-2023.csv"


def _sensor(settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from dagster_project.definitions import build_definitions

        return build_definitions(settings).get_sensor_def("publication_uec_ae_monthly")


def _alerts(settings):
    con = duckdb.connect(str(settings.alerts_db), read_only=True)
    try:
        return con.execute("select kind, title, body from alerts order by raised_at").fetchall()
    finally:
        con.close()


def test_a_publication_that_cannot_be_fetched_is_alerted_with_each_attempt(home):
    from dagster import build_sensor_context, instance_for_test

    pub = Publisher()
    pub.publish(INDEX, f'<html><body><a href="{JUNE}">June</a></body></html>'.encode(), content_type="text/html")
    pub.publish(JUNE, REAL.read_bytes())
    pub.faults, pub.fault_paths = ["reset"] * 20, {JUNE}
    with LoopbackServer(pub) as server, instance_for_test() as instance:
        settings = home.replace(source_urls={"uec_ae_monthly": server.url(INDEX)}, http_backoff_s=0.01)
        result = _sensor(settings)(build_sensor_context(instance=instance, cursor=None))
        assert not result.run_requests
        [(kind, title, body)] = _alerts(settings)
        assert kind == "fetch_failed" and JUNE in title
        assert "attempt 1: " in body and "attempt 2: " in body and "reset" in body.casefold()
        assert LandingStore(settings.landing_dir, settings.quarantine_dir).files("uec_ae_monthly") == []
        # The next tick fetches again (nothing was recorded as seen) and, the fault gone, lands the month,
        # which the landing sensor then loads.
        pub.faults = []
        _sensor(settings)(build_sensor_context(instance=instance, cursor=result.cursor))
        assert [f.periods for f in LandingStore(settings.landing_dir, settings.quarantine_dir).files("uec_ae_monthly")] == [
            ("2023-06-01",)
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from dagster_project.definitions import build_definitions

            loads = build_definitions(settings).get_sensor_def("landing_folder")
        assert [r.partition_key for r in loads(build_sensor_context(instance=instance)).run_requests] == ["2023-06-01"]


def test_a_download_left_by_a_killed_fetch_is_swept_once_stale(publisher, tmp_path):
    _, server = publisher
    dest = tmp_path / "dl"
    dest.mkdir()
    stale, fresh = dest / ".fetch-killed.csv", dest / ".fetch-recent.csv"
    for path in (stale, fresh):
        path.write_bytes(b"partial")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    result, _ = _fetch(server, dest)
    assert not stale.exists(), "a killed fetch's partial download is removed"
    assert fresh.exists(), "a recent download may still be waiting for its caller"
    assert result.path.exists()
