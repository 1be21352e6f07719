"""CQC's ratings exports: the real locations CSV, and Latest ratings workbooks built for the test.

There is no real Latest ratings ODS in the shared data (the real one is ~26 MB). The workbooks here
are built in the published layout (a Read me sheet; Locations and Providers sheets with title rows
above a header whose row moves between releases; long format with a Domain column, `Key Question`
in older releases) from the real Oldham API records, so every value in them is CQC's own.
"""

from __future__ import annotations

import csv
import datetime as dt
import time

import pytest

from tests.support.cqc_loopback import OLDHAM
from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.intake import intake
from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.partitions import PartitionLoader
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources import SOURCES
from dagster_project.validation.gate import Gate
from dagster_project.warehouse import open_warehouse
from tests.support.ods_writer import write_ods

EXPORT = SOURCES["cqc_ratings_export"]
LOCATIONS_CSV = SAMPLES_DIR / "ratings" / "cqc_exports_2025-08" / "Locations-head.csv"
LOCATION_HEADER = [
    "Location ID",
    "Location ODS Code",
    "Location Name",
    "Care Home?",
    "Location Type",
    "Location Primary Inspection Category",
    "Location Street Address",
    "Location Address Line 2",
    "Location City",
    "Location Post Code",
    "Location Local Authority",
    "Location Region",
    "Location NHS Region",
    "Location ONSPD CCG Code",
    "Location ONSPD CCG",
    "Location Commissioning CCG Code",
    "Location Commissioning CCG Name",
    "Service / Population Group",
    "Domain",
    "Latest Rating",
    "Publication Date",
    "Report Type",
    "Inherited Rating (Y/N)",
    "URL",
    "Provider ID",
    "Provider Name",
    "Brand ID",
    "Brand Name",
]
PROVIDER_HEADER = [
    "Provider ID",
    "Provider ODS Code",
    "Provider Name",
    "Provider Type",
    "Provider Primary Inspection Category",
    "Provider Street Address",
    "Provider Address Line 2",
    "Provider City",
    "Provider Post Code",
    "Provider Local Authority",
    "Provider Region",
    "Provider NHS Region",
    "Service / Population Group",
    "Domain",
    "Latest Rating",
    "Publication Date",
    "Report Type",
    "Inherited Rating (Y/N)",
    "URL",
    "Brand ID",
    "Brand Name",
]


@pytest.fixture(scope="module")
def api_records(tmp_path_factory):
    """The real Oldham location documents and their current ratings, as the API parser reads them."""
    spec = SOURCES["cqc_api_locations"]
    parsed = spec.parse(spec.pack(OLDHAM, tmp_path_factory.mktemp("pack")))
    return parsed.tables[""].set_index("location_id"), parsed.tables["ratings"]


def published(ratings, location_ids):
    return ratings[ratings["location_id"].isin(location_ids) & ratings["report_date"].notna()]


def latest_ratings_rows(api_records, location_ids, key_question_header="Domain", rating_override=None):
    locations, ratings = api_records
    rows = []
    # The workbook lists published ratings, each with its publication date.
    for r in published(ratings, location_ids).itertuples():
        loc = locations.loc[r.location_id]
        rating = (rating_override or {}).get((r.location_id, r.key_question), r.rating)
        rows.append(
            [
                r.location_id,
                loc["ods_code"] if isinstance(loc["ods_code"], str) else "-",
                loc["location_name"],
                "N",
                loc["location_type"],
                loc["primary_inspection_category_name"],
                "",
                "",
                "",
                loc["postal_code"],
                loc["local_authority"],
                loc["region"],
                "North West",
                loc["onspd_ccg_code"],
                loc["onspd_ccg_name"],
                "",
                "",
                r.service_name if isinstance(r.service_name, str) else "Overall",
                r.key_question,
                rating,
                r.report_date,
                "Location",
                "N",
                f"https://www.cqc.org.uk/location/{r.location_id}",
                loc["provider_id"],
                "-",
                "-",
                "-",
            ]
        )
    header = (
        [("Key Question" if h == "Domain" else h) for h in LOCATION_HEADER]
        if key_question_header != "Domain"
        else LOCATION_HEADER
    )
    return header, rows


def workbook(path, api_records, location_ids, *, title_rows=4, key_question_header="Domain", rating_override=None):
    header, rows = latest_ratings_rows(api_records, location_ids, key_question_header, rating_override)
    titles = [["Care Quality Commission"], ["Latest ratings"], ["Data as at the date of publication"], []][:title_rows]
    return write_ods(
        path,
        {
            "Read me": [["This file lists the latest ratings of every location and provider."]],
            "Locations": [*titles, header, *rows],
            "Providers": [*titles, PROVIDER_HEADER],
        },
    )


HOSPITALS = ["RM317", "RW603", "RT203"]


def test_a_latest_ratings_workbook_is_recognised_and_read_long(api_records, tmp_path):
    path = workbook(tmp_path / "01 March 2025 Latest ratings.ods", api_records, HOSPITALS)
    assert [s.key for s in SOURCES.values() if s.matches(path)] == ["cqc_ratings_export"]
    parsed = EXPORT.parse(path)
    main = parsed.tables[""]
    expected = published(api_records[1], HOSPITALS)
    assert len(main) == len(expected) > 0
    assert set(main["export_kind"]) == {"latest_ratings_workbook"}
    # The newest publication date in the sheet dates the snapshot.
    assert parsed.periods == [max(expected["report_date"].dropna()).isoformat()]
    urgent = main[(main["location_id"] == "RM317") & (main["service"] == "Urgent and emergency services")]
    assert dict(zip(urgent["key_question"], urgent["rating"], strict=True))["Safe"] == "Requires improvement"
    assert parsed.tables["providers"].empty


def test_an_older_release_with_key_question_and_a_moved_header_reads_the_same(api_records, tmp_path):
    new = EXPORT.parse(workbook(tmp_path / "new.ods", api_records, HOSPITALS)).tables[""]
    old = EXPORT.parse(
        workbook(tmp_path / "old.ods", api_records, HOSPITALS, title_rows=1, key_question_header="Key Question")
    ).tables[""]
    columns = ["location_id", "service", "key_question", "rating", "publication_date"]
    assert old[columns].equals(new[columns])


def test_a_workbook_without_the_locations_header_is_a_clear_error(api_records, tmp_path):
    header, rows = latest_ratings_rows(api_records, HOSPITALS)
    header = [h for h in header if h != "Latest Rating"]
    path = write_ods(tmp_path / "broken.ods", {"Locations": [["Latest ratings"], header, *[r[:19] + r[20:] for r in rows]]})
    with pytest.raises(IngestError, match="required column 'rating' .*Latest Rating.* not found"):
        EXPORT.parse(path)


def test_the_real_locations_csv_unpivots_every_published_rating(tmp_path):
    parsed = EXPORT.parse(LOCATIONS_CSV)
    main = parsed.tables[""]
    with open(LOCATIONS_CSV, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    published = sum(
        bool(r[c].strip())
        for r in rows
        for c in (
            "Location Latest Overall Rating",
            "Location safe rating",
            "Location effective rating",
            "Location caring rating",
            "Location responsive rating",
            "Location well-led rating",
        )
    )
    assert len(main) == published == 4490
    assert parsed.periods == ["2025-08-26"]  # the newest Publication Date, 8/26/2025 (US order)
    # Both capitalisations CQC uses arrive as published; staging folds them.
    assert {"Requires improvement", "Requires Improvement"} <= set(main["rating"])
    first = main[main["location_id"] == "1-21268168552"]
    assert first.empty  # AbilityAvenue Care: registered 2 January 2025, no rating published yet
    assert main.loc[main["location_id"] == "1-752918925", "publication_date"].iloc[0] == dt.date(2013, 6, 4)


def test_the_csvs_registered_manager_column_is_never_read(tmp_path):
    parsed = EXPORT.parse(LOCATIONS_CSV)
    with open(LOCATIONS_CSV, encoding="utf-8-sig") as handle:
        managers = {r["Registered manager"].strip() for r in csv.DictReader(handle)} - {""}
    assert len(managers) > 500
    for frame in parsed.tables.values():
        assert not any("manager" in c for c in frame.columns)
        assert not frame.astype("string").isin(managers).any().any()
    assert not any("Registered manager" in w for w in parsed.warnings)  # dropped on purpose, not "ignored"


def test_an_export_with_an_unknown_rating_is_quarantined_and_the_previous_export_stays(api_records, tmp_path):
    store = LandingStore(tmp_path / "landing", tmp_path / "quarantine")
    gate = Gate(tmp_path / "validation")
    loader = PartitionLoader(EXPORT, store, gate, tmp_path / "pending")
    good = intake(workbook(tmp_path / "march.ods", api_records, HOSPITALS), store, SOURCES.values())
    with open_warehouse(tmp_path / "warehouse.duckdb") as con:
        assert loader.load(con, good.periods[0]).status == "loaded"
        time.sleep(1.1)  # arrival order (to the second) decides which vintage of a snapshot is newest
        bad_path = workbook(tmp_path / "april.ods", api_records, HOSPITALS, rating_override={("RM317", "Overall"): "Excellent"})
        bad = intake(bad_path, store, SOURCES.values())
        # Parsing does not judge values: the file lands, as a new vintage of the same snapshot date.
        assert bad.status == "landed" and bad.periods == good.periods
        outcome = loader.load(con, bad.periods[0])
        assert outcome.status == "quarantined"
        assert "Every rating is one of" in outcome.message
        kept = con.execute(
            "select rating, _file_sha256 from raw.cqc_ratings_export where location_id = 'RM317' and service = 'Overall' and key_question = 'Overall'"
        ).fetchall()
    assert kept == [("Requires improvement", good.landed.sha256)]
    [record] = store.quarantined("cqc_ratings_export")
    assert record["original_name"] == "april.ods" and record["error"]["reason"] == "validation_failed"
