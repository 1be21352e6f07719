"""The CQC API client against a loopback API serving the 451 real Oldham location documents."""

from __future__ import annotations

import datetime as dt
import filecmp
import json

import pytest

from tests.support.cqc_loopback import OLDHAM, CqcLoopbackApi, Fault
from dagster_project.ingest.fetch import FetchError
from dagster_project.sources.cqc.api import CqcApiClient, CqcApiError
from dagster_project.sources.cqc.capture import LOCATIONS

KEY = "test-subscription-key"


@pytest.fixture
def api():
    with CqcLoopbackApi(api_key=KEY) as server:
        yield server


def client_for(api, **kwargs) -> CqcApiClient:
    return CqcApiClient(api.base_url, api_key=KEY, backoff_s=0.01, **kwargs)


def test_a_capture_pages_through_the_lists_and_saves_every_document_byte_for_byte(api, tmp_path):
    with client_for(api) as client:
        record = client.capture(tmp_path / "capture", local_authority="Oldham", per_page=100)

    assert record["documents"]["locations"] == {"listed": 451, "fetched": 451, "copied": 0}
    assert record["documents"]["providers"] == {"listed": 20, "fetched": 20, "copied": 0}
    assert record["filters"] == {"localAuthority": "Oldham"}
    # 451 locations at 100 a page: five list pages, fetched by following nextPageUri.
    assert sorted(p.name for p in (tmp_path / "capture").glob("locations*.json")) == [
        "locations.json",
        "locations_page_2.json",
        "locations_page_3.json",
        "locations_page_4.json",
        "locations_page_5.json",
    ]
    assert "localAuthority=Oldham" in next(path for path, _, _ in api.log if path.startswith("/public/v1/locations?page=2"))
    for folder in ("location_details", "provider_details"):
        saved = sorted((tmp_path / "capture" / folder).iterdir())
        assert len(saved) == len(list((OLDHAM / folder).iterdir()))
        assert all(filecmp.cmp(p, OLDHAM / folder / p.name, shallow=False) for p in saved)


def test_every_request_carries_the_subscription_key_and_a_missing_key_is_refused(api, tmp_path):
    with client_for(api) as client:
        client.get_json("/locations/RM317")
    assert api.log[-1][2].get("Ocp-Apim-Subscription-Key") == KEY

    with CqcApiClient(api.base_url, api_key=None, retries=0) as keyless:
        with pytest.raises(FetchError, match="HTTP 401"):
            keyless.get_json("/locations/RM317")


def test_a_server_error_is_retried_and_the_document_still_arrives(api, tmp_path):
    api.fail("/locations/RM317", Fault(500, b"upstream timeout"), Fault(503, b""))
    with client_for(api) as client:
        body, document = client.get_json("/locations/RM317")
    assert document["locationId"] == "RM317"
    assert body == (OLDHAM / "location_details" / "location_RM317.json").read_bytes()
    assert api.requests_to("/locations/RM317") == [500, 503, 200]


def test_a_429_is_waited_out_for_exactly_its_retry_after(api):
    waits: list[float] = []
    api.fail("/locations", Fault(429, b'{"message": "Rate limit is exceeded."}', {"Retry-After": "7"}))
    with client_for(api, sleep=waits.append) as client:
        pages = list(client.pages("/locations", "locations", {"perPage": 1000, "localAuthority": "Oldham"}))
    assert waits == [7.0]  # the server's Retry-After, not the client's own backoff
    assert len(pages) == 1 and pages[0][2]["total"] == 451
    assert api.requests_to("/locations") == [429, 200]


def test_a_server_that_keeps_failing_gives_a_clear_error_and_leaves_no_partial_capture(api, tmp_path):
    api.fail("/locations/RM317", *[Fault(500, b"")] * 10)
    with client_for(api, retries=2) as client:
        with pytest.raises(FetchError, match=r"/locations/RM317: gave up after 3 attempts: HTTP 500"):
            client.capture(tmp_path / "capture", per_page=1000)
    assert not (tmp_path / "capture").exists()


def test_a_malformed_list_page_is_a_clear_error_naming_the_url(api, tmp_path):
    api.fail("/locations", Fault(200, b'{"total": 451, "locations": [{"locationId": "1-1'))
    with client_for(api) as client:
        with pytest.raises(CqcApiError, match=r"/public/v1/locations\?.*malformed JSON"):
            client.capture(tmp_path / "capture")
    assert not (tmp_path / "capture").exists()


def test_changes_endpoint_lists_what_changed_between_two_timestamps(api):
    api.changes = ["RM317", "1-10024040008"]
    start, end = dt.datetime(2025, 3, 20, tzinfo=dt.timezone.utc), dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
    with client_for(api) as client:
        assert client.changed_ids(LOCATIONS, start, end) == ["RM317", "1-10024040008"]
    asked = next(path for path, _, _ in api.log if path.startswith("/public/v1/changes/location"))
    assert "startTimestamp=2025-03-20T00%3A00%3A00Z" in asked and "endTimestamp=2025-06-01T00%3A00%3A00Z" in asked


def test_an_incremental_capture_fetches_only_changed_documents_and_copies_the_rest(api, tmp_path):
    with client_for(api) as client:
        client.capture(tmp_path / "first", entities=(LOCATIONS,))
    changed = api.document("locations", "RM317")
    changed["currentRatings"]["overall"]["rating"] = "Good"
    api.set_document("locations", "RM317", changed)
    api.changes = ["RM317"]
    api.log.clear()
    with client_for(api) as client:
        record = client.capture(
            tmp_path / "second",
            entities=(LOCATIONS,),
            previous=tmp_path / "first",
            changed_since=dt.datetime(2025, 3, 20, tzinfo=dt.timezone.utc),
        )
    assert record["documents"]["locations"] == {"listed": 451, "fetched": 1, "copied": 450}
    assert [p for p, _, _ in api.log if p.startswith("/public/v1/locations/")] == ["/public/v1/locations/RM317"]
    saved = json.loads((tmp_path / "second" / "location_details" / "location_RM317.json").read_bytes())
    assert saved["currentRatings"]["overall"]["rating"] == "Good"
