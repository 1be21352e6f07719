"""mart_system_overview, as BI tools read it from the serving DB: one row per ICB and month, each
family's figures reproduced from the bundled publications themselves, every column documented."""

from __future__ import annotations

import csv
import glob
import json

import duckdb
import pytest

from dagster_project.assets.dbt import dbt_project
from dagster_project.settings import DBT_PROJECT_DIR, SAMPLES_DIR

pytestmark = pytest.mark.slow

GREATER_MANCHESTER = "QOP"
RATED = ("Outstanding", "Good", "Requires improvement", "Inadequate")


@pytest.fixture(scope="module")
def serving(built_home):
    con = duckdb.connect(str(built_home / "serving" / "marts.duckdb"), read_only=True)
    yield con
    con.close()


def _row(con, icb_code, month):
    cursor = con.execute("select * from mart_system_overview where icb_code = ? and month_start = ?", [icb_code, month])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def _number(text):
    text = (text or "").strip().replace(",", "")
    return int(float(text)) if text not in ("", "-") else 0


def test_one_row_per_icb_and_month(serving):
    icbs, months, rows, distinct = serving.execute(
        "select count(distinct icb_code), count(distinct month_start), count(*), count(distinct (icb_code, month_start)) "
        "from mart_system_overview"
    ).fetchone()
    assert icbs == serving.execute("select count(*) from dim_icb").fetchone()[0] == 42
    assert rows == distinct == icbs * months
    first, last = serving.execute("select min(month_start), max(month_start) from mart_system_overview").fetchone()
    # Every month an A&E file (April 2020 to June 2024) or a sickness absence file (to March 2025) covers.
    assert (str(first), str(last)) == ("2020-04-01", "2025-03-01")


def test_greater_manchester_june_2024_ae_and_sickness_from_the_bundled_files(serving):
    # Recompute from the publisher's files: the A&E CSV's organisations that the System Mapping places
    # in NHS Greater Manchester ICB, and the sickness absence CSV's organisations under its ICS code.
    mapping = {
        r["Code"]: r["ICB Code"]
        for r in csv.DictReader((DBT_PROJECT_DIR / "seeds" / "reference" / "nhse_system_mapping.csv").open())
    }
    ae = [
        r
        for r in csv.DictReader((SAMPLES_DIR / "uec" / "Monthly-AE-June-2024.csv").open(encoding="utf-8-sig"))
        if mapping.get(r["Org Code"]) == GREATER_MANCHESTER
    ]
    waits = sum(_number(r["Patients who have waited 12+ hrs from DTA to admission"]) for r in ae)
    admissions = sum(
        _number(r[f"Emergency admissions via A&E - {kind}"]) for r in ae for kind in ("Type 1", "Type 2", "Other A&E department")
    )
    absence = [
        r
        for r in csv.DictReader(open(SAMPLES_DIR / "workforce" / "sickness_absence_monthly" / "nhs_sickness_absence_2024-06.csv"))
        if r["ICS_CODE"] == GREATER_MANCHESTER
    ]
    lost = sum(float(r["FTE_DAYS_LOST"]) for r in absence)
    available = sum(float(r["FTE_DAYS_AVAILABLE"]) for r in absence)

    row = _row(serving, GREATER_MANCHESTER, "2024-06-01")
    assert row["icb_name"] == "NHS Greater Manchester Integrated Care Board" and row["region_name"] == "North West"
    assert (row["ae_reporting_organisations"], row["dta_waits_over_12h"], row["emergency_admissions_via_ae"]) == (
        len(ae),
        waits,
        admissions,
    )
    assert (waits, admissions) == (2596, 22519)
    assert round(row["pct_dta_over_12h"], 1) == 11.5
    assert row["sickness_reporting_organisations"] == len(absence) == 11
    assert row["sickness_absence_rate"] == pytest.approx(100 * lost / available)
    assert round(row["sickness_absence_rate"], 2) == 5.83


def test_ae_by_icb_adds_up_to_england_less_organisations_outside_the_mapping(serving):
    (england,) = serving.execute(
        "select dta_waits_over_12h from mart_uec_region_month where is_england and month_start = date '2023-06-01'"
    ).fetchone()
    (unmapped,) = serving.execute(
        "select coalesce(sum(dta_waits_over_12h), 0) from fct_ae_provider_month where icb_code is null and month_start = date '2023-06-01'"
    ).fetchone()
    (by_icb,) = serving.execute(
        "select sum(dta_waits_over_12h) from mart_system_overview where month_start = date '2023-06-01'"
    ).fetchone()
    assert england == 26488
    assert by_icb + unmapped == england


def test_ratings_at_the_latest_month_are_the_current_ratings_of_registered_locations(serving):
    # At the last month every rating the warehouse holds was published, so the ratings in force are
    # the current ones: count them from the ratings marts directly.
    expected_rated, expected_poor = serving.execute(
        """
        select count(*), count(*) filter (where current.rating in ('Requires improvement', 'Inadequate'))
        from (
            select location_id, arg_max(rating, report_date) as rating
            from fct_location_rating_current
            where key_question = 'Overall' and service is null and is_rated and report_date <= date '2025-03-31'
            group by location_id
        ) as current
        join dim_location as locations using (location_id)
        where locations.icb_code = ? and coalesce(locations.deregistration_date, date '9999-12-31') > date '2025-03-31'
        """,
        [GREATER_MANCHESTER],
    ).fetchone()
    row = _row(serving, GREATER_MANCHESTER, "2025-03-01")
    assert (row["rated_locations"], row["locations_requires_improvement_or_inadequate"]) == (expected_rated, expected_poor)
    assert expected_rated > 100  # Oldham's registered, rated locations in the bundled API capture
    assert row["pct_rated_requires_improvement_or_inadequate"] == pytest.approx(100 * expected_poor / expected_rated)

    # The API capture's own documents agree on the share rated requires improvement or inadequate.
    documents = [
        json.load(open(f))
        for f in glob.glob(str(SAMPLES_DIR / "ratings" / "cqc_api_oldham_2025-03" / "location_details" / "*.json"))
    ]
    overall = [
        d["currentRatings"]["overall"]["rating"]
        for d in documents
        if d.get("registrationStatus") == "Registered"
        and d.get("onspdIcbCode")
        and ((d.get("currentRatings") or {}).get("overall") or {}).get("rating") in RATED
    ]
    poor = sum(r in RATED[2:] for r in overall)
    assert poor == expected_poor
    # Months before a report was published do not count that location.
    early = _row(serving, GREATER_MANCHESTER, "2020-04-01")
    assert early["rated_locations"] < row["rated_locations"]
    # No CQC capture places a location in, say, Devon: its columns stay NULL rather than zero.
    devon = serving.execute("select count(rated_locations) from mart_system_overview where icb_name like '%Devon%'").fetchone()[0]
    assert devon == 0


def test_carers_come_from_the_councils_in_the_icbs_area_for_the_financial_year(serving):
    # The bundled CQC capture places Oldham's locations in Greater Manchester ICB, so Oldham is the
    # council of its area the warehouse knows; its carers' survey values are Oflog's for 2021-22.
    oflog = {
        (r["Financial year"], r["Code"]): float(r["Value"])
        for r in csv.DictReader(open(SAMPLES_DIR / "carers" / "ascof_oflog" / "ASC_data.csv"))
        if r["Local authority code"] == "E08000004" and r["Value"]
    }
    row = _row(serving, GREATER_MANCHESTER, "2021-06-01")
    assert row["financial_year"] == "2021-22"
    assert row["carers_councils"] == "Oldham" and row["carers_councils_reporting"] == 1
    assert row["carer_quality_of_life_median"] == pytest.approx(oflog[("2021-22", "ASC1")]) == pytest.approx(6.9)
    # The survey is biennial: 2022-23 has no carers' values.
    assert _row(serving, GREATER_MANCHESTER, "2022-06-01")["carer_quality_of_life_median"] is None


def test_every_column_is_documented_with_its_source(serving):
    manifest = json.loads(dbt_project.manifest_path.read_text())
    node = manifest["nodes"]["model.nhs_warehouse.mart_system_overview"]
    documented = {name: column["description"] for name, column in node["columns"].items()}
    published = [r[0] for r in serving.execute("describe mart_system_overview").fetchall()]
    assert set(published) == set(documented)
    assert all(documented[c].strip() for c in published)
    # Each family's first column names its publication.
    for column, source in {
        "ae_reporting_organisations": "A&E Attendances and Emergency Admissions",
        "rated_locations": "CQC ratings",
        "sickness_reporting_organisations": "NHS Sickness Absence Rates",
        "carer_quality_of_life_median": "Survey of Adult Carers",
    }.items():
        assert source in documented[column], column
