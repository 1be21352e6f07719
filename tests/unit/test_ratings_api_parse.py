"""API captures become landed bundles and raw rows: the real Oldham documents, and broken ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.cqc_loopback import OLDHAM
from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.intake import intake_folder
from dagster_project.ingest.landing import LandingStore
from dagster_project.sources import SOURCES

LOCATIONS = SOURCES["cqc_api_locations"]
PROVIDERS = SOURCES["cqc_api_providers"]


def contact_names() -> set[str]:
    """Every person the Oldham documents name as a contact (registered managers, partners)."""
    names = set()
    for path in OLDHAM.rglob("*_details/*.json"):
        document = json.loads(path.read_bytes())
        contacts = list(document.get("contacts") or [])
        for activity in document.get("regulatedActivities") or []:
            contacts += activity.get("contacts") or []
        for c in contacts:
            names.add(f"{c['personGivenName']} {c['personFamilyName']}")
    return names


@pytest.fixture
def oldham_copy(tmp_path) -> Path:
    dest = tmp_path / "capture"
    shutil.copytree(OLDHAM, dest)
    return dest


def packed(spec, folder: Path, tmp_path: Path) -> Path:
    work = tmp_path / "packed"
    work.mkdir(exist_ok=True)
    return spec.pack(folder, work)


def test_the_oldham_capture_lands_as_one_bundle_per_source_dated_by_its_newest_record(tmp_path):
    store = LandingStore(tmp_path / "landing", tmp_path / "quarantine")
    results = intake_folder(OLDHAM, store, SOURCES.values())
    assert {(r.source, r.status, r.periods) for r in results} == {
        ("cqc_api_locations", "landed", ("2025-03-20",)),
        ("cqc_api_providers", "landed", ("2025-03-20",)),
    }
    # Packing is deterministic: the same documents are the same bytes, recognised, not landed twice.
    again = intake_folder(OLDHAM, store, SOURCES.values())
    assert {r.status for r in again} == {"already_landed"}


def test_every_location_document_becomes_one_row_and_its_ratings_long_rows(tmp_path):
    parsed = LOCATIONS.parse(packed(LOCATIONS, OLDHAM, tmp_path))
    locations, ratings = parsed.tables[""], parsed.tables["ratings"]
    assert len(locations) == 451 and locations["location_id"].is_unique
    rm317 = locations.set_index("location_id").loc["RM317"]
    assert (rm317["provider_id"], rm317["inspection_directorate"], rm317["primary_inspection_category_name"]) == (
        "RM3",
        "Hospitals",
        "Acute hospital - NHS non-specialist",
    )
    rm317_ratings = ratings[ratings["location_id"] == "RM317"]
    overall = rm317_ratings[rm317_ratings["service_code"].isna() & (rm317_ratings["key_question"] == "Overall")]
    assert overall["rating"].tolist() == ["Requires improvement"]
    urgent = rm317_ratings[
        (rm317_ratings["service_name"] == "Urgent and emergency services") & (rm317_ratings["key_question"] == "Safe")
    ]
    assert urgent["rating"].tolist() == ["Requires improvement"]
    # A rating inherited from the predecessor registration RW603 says so.
    assert set(rm317_ratings.loc[rm317_ratings["service_code"] == "critical", "rated_organisation_id"]) == {"RW603"}


def test_no_contact_name_or_contact_field_is_read_from_the_documents(tmp_path):
    names = contact_names()
    assert len(names) > 100  # the documents do name people: registered managers and partners
    for spec in (LOCATIONS, PROVIDERS):
        parsed = spec.parse(packed(spec, OLDHAM, tmp_path))
        for frame in parsed.tables.values():
            assert not any("contact" in c or "manager" in c or "person" in c for c in frame.columns)
            text = frame.astype("string").fillna("")
            for column in frame.columns:
                if column in ("location_name", "provider_name"):
                    continue  # registered names: see test_registered_names_are_the_only_place_a_person_can_appear
                assert not text[column].isin(names).any(), column


def test_registered_names_are_the_only_place_a_person_can_appear(tmp_path):
    # Some services and providers are registered under a person's own name (a single-handed GP
    # practice, an individual or partnership provider). That is CQC's public register name, kept as
    # the name of the service; the same people as contacts are never loaded.
    parsed = LOCATIONS.parse(packed(LOCATIONS, OLDHAM, tmp_path))
    registered = parsed.tables[""].set_index("location_id")["location_name"]
    assert registered["1-540790252"] == "Dr Mohua Chowdhury"


def test_a_document_missing_its_location_id_rejects_the_capture_naming_the_document(oldham_copy, tmp_path):
    path = oldham_copy / "location_details" / "location_RM317.json"
    document = json.loads(path.read_bytes())
    del document["locationId"]
    path.write_text(json.dumps(document))
    with pytest.raises(IngestError, match=r"location_details/location_RM317.json: document has no locationId") as caught:
        LOCATIONS.parse(packed(LOCATIONS, oldham_copy, tmp_path))
    assert caught.value.reason == "missing_id"


def test_a_malformed_document_rejects_the_capture_and_quarantine_keeps_it(oldham_copy, tmp_path):
    path = oldham_copy / "location_details" / "location_RM317.json"
    path.write_bytes(path.read_bytes()[:500])
    store = LandingStore(tmp_path / "landing", tmp_path / "quarantine")
    [result] = intake_folder(oldham_copy, store, SOURCES.values(), spec=LOCATIONS)
    assert result.status == "rejected"
    assert "location_RM317.json: malformed JSON" in result.message
    assert store.files("cqc_api_locations") == []
    [kept] = store.quarantined("cqc_api_locations")
    assert kept["error"]["reason"] == "malformed"
    assert (tmp_path / "quarantine" / "cqc_api_locations" / kept["stored_name"]).exists()


def test_a_capture_missing_a_listed_document_is_incomplete(oldham_copy, tmp_path):
    (oldham_copy / "location_details" / "location_RM317.json").unlink()
    with pytest.raises(IngestError, match="incomplete capture: 1 listed locations have no document"):
        LOCATIONS.parse(packed(LOCATIONS, oldham_copy, tmp_path))


def test_a_document_under_another_id_is_rejected(oldham_copy, tmp_path):
    source = oldham_copy / "location_details" / "location_RM317.json"
    document = json.loads(source.read_bytes())
    document["locationId"] = "RM318"
    source.write_text(json.dumps(document))
    with pytest.raises(IngestError, match="holds locationId 'RM318', not the one its name says"):
        LOCATIONS.parse(packed(LOCATIONS, oldham_copy, tmp_path))


def test_a_capture_record_written_by_the_client_dates_the_snapshot(oldham_copy, tmp_path):
    (oldham_copy / "_capture.json").write_text(json.dumps({"as_at": "2025-06-01", "captured_at": "2025-06-01T06:00:00+00:00"}))
    assert PROVIDERS.parse(packed(PROVIDERS, oldham_copy, tmp_path)).periods == ["2025-06-01"]
