"""Fetching from a publisher over HTTP, against a loopback server that serves the real bytes."""

from __future__ import annotations

import pytest

from dagster_project.ingest.fetch import FetchError, fetch
from dagster_project.ingest.intake import intake
from dagster_project.ingest.landing import LandingStore, sha256_of
from dagster_project.sources import SOURCES
from tests.conftest import uec_sample
from tests.support.publisher import LoopbackServer, Publisher

PATH = "/statistics/Monthly-AE-June-2023.csv"


@pytest.fixture
def publisher():
    pub = Publisher()
    pub.publish(PATH, uec_sample("June-2023").read_bytes())
    with LoopbackServer(pub) as server:
        yield pub, server


def _fetch(server, tmp_path, **kwargs):
    sleeps = []
    kwargs.setdefault("backoff_s", 0.01)
    result = fetch(server.url(PATH), tmp_path / "downloads", sleep=sleeps.append, **kwargs)
    return result, sleeps


def test_fetch_stores_the_real_bytes_with_checksum_and_validators(publisher, tmp_path):
    pub, server = publisher
    result, _ = _fetch(server, tmp_path)
    assert result.status == "fetched"
    assert result.path.read_bytes() == uec_sample("June-2023").read_bytes()
    assert result.sha256 == sha256_of(uec_sample("June-2023"))
    assert result.etag == pub.files[PATH].etag
    assert result.last_modified.endswith("GMT")
    assert result.file_name == "Monthly-AE-June-2023.csv"


def test_conditional_get_answers_304_when_nothing_changed(publisher, tmp_path):
    pub, server = publisher
    first, _ = _fetch(server, tmp_path)
    second, _ = _fetch(server, tmp_path, etag=first.etag, last_modified=first.last_modified)
    assert second.status == "not_modified" and second.path is None
    assert pub.requests[-1]["headers"]["If-None-Match"] == first.etag
    # A revision gets a new ETag, so the same conditional GET now fetches it.
    pub.publish(PATH, uec_sample("June-2023").read_bytes().replace(b"MSitAE-JUNE-2023,RWY", b"MSitAE-JUNE-2023,RWY", 1) + b"\r\n")
    third, _ = _fetch(server, tmp_path, etag=first.etag)
    assert third.status == "fetched" and third.sha256 != first.sha256


@pytest.mark.parametrize("fault", ["drop", "503", "429", "short_body"])
def test_a_transient_failure_is_retried_then_succeeds(publisher, tmp_path, fault):
    pub, server = publisher
    pub.faults = [fault]
    pub.retry_after = "7"
    result, sleeps = _fetch(server, tmp_path)
    assert result.status == "fetched" and result.attempts == 2
    assert result.sha256 == sha256_of(uec_sample("June-2023"))
    # Retry-After is honoured where the publisher sends it; otherwise exponential backoff.
    assert sleeps == ([7.0] if fault in ("503", "429") else [0.01])
    assert list((tmp_path / "downloads").iterdir()) == [result.path], "no partial download is left behind"


def test_retries_are_bounded_and_the_failure_names_the_url(publisher, tmp_path):
    pub, server = publisher
    pub.faults = ["drop"] * 10
    with pytest.raises(FetchError) as err:
        _fetch(server, tmp_path, retries=2)
    assert "gave up after 3 attempts" in str(err.value) and PATH in str(err.value)
    assert len(pub.requests) == 3


def test_the_size_limit_stops_a_download(publisher, tmp_path):
    _, server = publisher
    with pytest.raises(FetchError) as err:
        _fetch(server, tmp_path, max_bytes=10_000)
    assert err.value.reason == "too_large"
    assert not list((tmp_path / "downloads").iterdir())


def test_a_404_is_not_retried(publisher, tmp_path):
    pub, server = publisher
    with pytest.raises(FetchError) as err:
        fetch(server.url("/missing.csv"), tmp_path, sleep=lambda s: None)
    assert err.value.status == 404 and len(pub.requests) == 1


def test_a_fetched_file_lands_once(publisher, tmp_path):
    _, server = publisher
    store = LandingStore(tmp_path / "landing", tmp_path / "quarantine")
    for expected in ("landed", "already_landed"):
        result, _ = _fetch(server, tmp_path)
        taken = intake(result.path, store, SOURCES.values(), original_name=result.file_name, url=result.url, etag=result.etag)
        assert taken.status == expected
    landed = store.files("uec_ae_monthly")
    assert len(landed) == 1
    assert landed[0].url.endswith(PATH) and landed[0].etag and landed[0].periods == ("2023-06-01",)
