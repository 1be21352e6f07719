"""The CQC locations publication sensor's poller on a loopback API: a location that changed becomes a
new snapshot, fetching only the changed document and copying the rest from the landed capture."""

from __future__ import annotations

import datetime as dt
import json

from dagster_project.automation.pollers import pollers_for
from dagster_project.automation.polling import Http
from dagster_project.ingest import bundle
from dagster_project.ingest.intake import intake
from dagster_project.runner import land_samples, store_for
from dagster_project.settings import load_settings
from dagster_project.sources import SOURCES
from tests.support.cqc_loopback import CqcLoopbackApi

JUNE = dt.datetime(2025, 6, 1, 6, 0, tzinfo=dt.timezone.utc)


def test_a_changed_location_becomes_a_new_snapshot_with_only_it_fetched(home, monkeypatch, tmp_path):
    land_samples(home)  # the bundled March 2025 Oldham capture is the previous snapshot
    with CqcLoopbackApi() as api:
        hospital = api.document("locations", "RM317")
        hospital["currentRatings"]["overall"].update(rating="Good", reportDate="2025-05-15")
        api.set_document("locations", "RM317", hospital)
        api.changes = ["RM317"]
        monkeypatch.setenv("NHS_WAREHOUSE_URL_CQC_API", api.base_url)
        settings = load_settings()
        [poller] = pollers_for(SOURCES["cqc_api_locations"], settings)
        assert poller.feed.url == api.base_url + "/changes/location"
        poller.now = lambda: JUNE
        result = poller.poll({"until": "2025-05-31T06:00:00+00:00"}, tmp_path / "out", Http(timeout_s=10, max_bytes=10**8))
        fetched_details = [path for path, status, _ in api.log if "/locations/" in path or "/providers/" in path]
    assert result.state["until"] == JUNE.isoformat()
    assert fetched_details and all("RM317" in path for path in fetched_details), fetched_details
    assert sorted(f.path.name for f in result.files) == ["cqc_api_locations-2025-06-01.zip", "cqc_api_providers-2025-06-01.zip"]
    store = store_for(settings)
    landed = [intake(f.path, store, SOURCES.values()) for f in result.files]
    assert [(r.source, r.status, r.periods) for r in landed] == [
        ("cqc_api_locations", "landed", ("2025-06-01",)),
        ("cqc_api_providers", "landed", ("2025-06-01",)),
    ]
    locations = next(f for f in result.files if "locations" in f.path.name).path
    documents = dict(bundle.iter_members(locations))
    assert len([n for n in documents if n.endswith(".json") and "location_" in n]) == 451
    assert json.loads(documents["location_details/location_RM317.json"])["currentRatings"]["overall"]["rating"] == "Good"
