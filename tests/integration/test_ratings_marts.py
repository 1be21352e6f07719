"""The ratings marts `nhs-warehouse build` publishes from the bundled Oldham API capture."""

from __future__ import annotations

import collections
import csv
import json
import re

import duckdb
import pytest

from tests.support.cqc_loopback import OLDHAM

pytestmark = pytest.mark.slow


def serving(home):
    return duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True)


def oldham_documents():
    return [json.loads(p.read_bytes()) for p in (OLDHAM / "location_details").glob("*.json")]


def test_overall_rating_counts_match_the_json(built_home):
    # Counted straight from the documents: registered locations, the location's overall rating.
    expected = collections.Counter(
        d["currentRatings"]["overall"]["rating"]
        for d in oldham_documents()
        if d["registrationStatus"] == "Registered" and "rating" in (d.get("currentRatings") or {}).get("overall", {})
    )
    assert expected == {
        "Good": 97,
        "Inspected but not rated": 26,
        "Requires improvement": 14,
        "Outstanding": 6,
        "No published rating": 6,
    }
    with serving(built_home) as con:
        rows = con.execute(
            "select rating, locations, rated_locations, pct_of_rated from mart_ratings_distribution "
            "where source = 'api' and area_level = 'england' and sector = 'All sectors' and primary_inspection_category = 'All categories' "
            "and service is null and key_question = 'Overall'"
        ).fetchall()
        current = dict(
            con.execute(
                "select rating, count(*) from fct_location_rating_current join dim_location using (location_id) "
                "where is_registered and service is null and key_question = 'Overall' "
                "and location_id in (select location_id from fct_location_rating_history where source = 'api') group by rating"
            ).fetchall()
        )
    assert {rating: n for rating, n, _, _ in rows} == dict(expected) == current
    # Percentages are over rated locations only: 97 Good of 117 rated (6 + 97 + 14).
    pct = {rating: (rated, p) for rating, _, rated, p in rows}
    assert pct["Good"][0] == 117 and pct["Good"][1] == pytest.approx(100 * 97 / 117)
    assert pct["Inspected but not rated"][1] is None


def test_every_current_rating_of_every_document_is_in_the_fact(built_home):
    expected = 0
    for d in oldham_documents():
        current = d.get("currentRatings") or {}
        blocks = ([current["overall"]] if "overall" in current else []) + current.get("serviceRatings", [])
        expected += sum(("rating" in b) + len(b.get("keyQuestionRatings", [])) for b in blocks)
    with serving(built_home) as con:
        # Every rating of the capture is tracked (history keeps each source's own view) ...
        assert (
            con.execute("select count(*) from fct_location_rating_history where source = 'api' and is_current").fetchone()[0]
            == expected
            == 2303
        )
        # ... and is current unless a newer source holds the location: Abbey Hey Care Home is also in
        # the August 2025 CSV export, whose six ratings (Good, as in March) are its current ones.
        by_source = dict(con.execute("select source, count(*) from fct_location_rating_current group by source").fetchall())
        assert by_source["api"] == 2303 - 6
        assert con.execute(
            "select source, rating from fct_location_rating_current where location_id = '1-1145266322' and service is null and key_question = 'Overall'"
        ).fetchone() == ("export", "Good")


def test_an_nhs_hospital_joins_the_trust_the_ae_facts_report_under(built_home):
    with serving(built_home) as con:
        location = con.execute(
            "select provider_id, nhs_trust_code, nhs_trust_name, icb_code, region_name from dim_location where location_id = 'RM317'"
        ).fetchone()
        assert location == ("RM3", "RM3", "Northern Care Alliance NHS Foundation Trust", "QOP", "North West")
        # The Royal Oldham's overall rating beside its trust's A&E performance in June 2023.
        joined = con.execute(
            "select r.rating, ae.org_name, ae.ae_attendances, ae.region_name "
            "from fct_location_rating_current r join dim_location l using (location_id) "
            "join fct_ae_provider_month ae on ae.org_code = l.nhs_trust_code and ae.month_start = date '2023-06-01' "
            "where r.location_id = 'RM317' and r.service is null and r.key_question = 'Overall'"
        ).fetchall()
    assert len(joined) == 1
    rating, trust, attendances, region = joined[0]
    assert (rating, trust, region) == ("Requires improvement", "NORTHERN CARE ALLIANCE NHS FOUNDATION TRUST", "North West")
    assert attendances > 0


def test_the_royal_oldhams_services_are_rated_per_key_question(built_home):
    with serving(built_home) as con:
        rows = dict(
            con.execute(
                "select key_question, rating from fct_location_rating_current where location_id = 'RM317' and service = 'Urgent and emergency services'"
            ).fetchall()
        )
    assert rows == {
        "Overall": "Requires improvement",
        "Safe": "Requires improvement",
        "Effective": "Requires improvement",
        "Caring": "Good",
        "Responsive": "Requires improvement",
        "Well-led": "Requires improvement",
    }


def person_names() -> set[str]:
    """Everyone the documents name as a contact, and every registered manager in the CSV export."""
    names = set()
    for path in OLDHAM.rglob("*_details/*.json"):
        d = json.loads(path.read_bytes())
        contacts = list(d.get("contacts") or []) + [
            c for a in d.get("regulatedActivities") or [] for c in a.get("contacts") or []
        ]
        names |= {f"{c['personGivenName']} {c['personFamilyName']}" for c in contacts}
    export = OLDHAM.parent / "cqc_exports_2025-08" / "Locations-head.csv"
    with open(export, encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["Registered manager"].strip():
                family, given = [p.strip() for p in row["Registered manager"].split(",")[:2]]
                names |= {row["Registered manager"].strip(), f"{given} {family}"}
    return names


# Registered names are CQC's public register entries (a GP practice registered as "Dr Mohua
# Chowdhury"); they name services, not the people CQC lists as their managers.
REGISTERED_NAME_COLUMNS = {
    "location_name",
    "provider_name",
    "provider_name_in_export",
    "nhs_trust_name",
    "org_name",
    "brand_name",
}


def test_no_person_named_as_a_contact_or_manager_reaches_raw_or_the_marts(built_home):
    names = person_names()
    assert len(names) > 1000
    pattern = "|".join(re.escape(n) for n in sorted(names))
    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ('raw', 'raw_history', 'staging', 'marts') and data_type = 'VARCHAR'"
        ).fetchall()
        assert not [c for c in columns if re.search("manager|contact|person|nominated", c[2])]
        found = []
        for schema, table, column in columns:
            if column in REGISTERED_NAME_COLUMNS:
                continue
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where regexp_matches("{column}", ?)', [pattern]
            ).fetchone()[0]
            if hits:
                found.append((schema, table, column, hits))
    finally:
        con.close()
    assert found == []


# Core services as CQC counts them in State of Care ("10% of maternity services inadequate, 39%
# requires improvement"): one rating per location and core service, the latest (the document's
# currentRatings), registered locations only, shares over rated services only.
CORE_SERVICES = (
    "Maternity",
    "Forensic inpatient or secure wards",
    "Long stay or rehabilitation mental health wards for working age adults",
)


def core_service_ratings_from_the_json() -> collections.Counter:
    """(service, key question, rating) -> locations, counted straight from the Oldham documents."""
    counted: collections.Counter = collections.Counter()
    for d in oldham_documents():
        if d["registrationStatus"] != "Registered":
            continue
        areas = {a["inspectionAreaId"]: a["inspectionAreaName"] for a in d.get("inspectionAreas", [])}
        seen = set()
        for service in (d.get("currentRatings") or {}).get("serviceRatings", []):
            name = areas.get(service["name"])
            if name not in CORE_SERVICES:
                continue
            assert name not in seen, (d["locationId"], name)  # one rating per location and core service
            seen.add(name)
            counted[(name, "Overall", service["rating"])] += 1
            for kq in service.get("keyQuestionRatings", []):
                counted[(name, kq["name"], kq["rating"])] += 1
    return counted


def test_maternity_and_mental_health_ward_shares_count_each_location_and_core_service_once(built_home):
    expected = core_service_ratings_from_the_json()
    # The Royal Oldham's maternity service (Requires improvement); the deregistered Royal Oldham
    # registration (RW603) rated "Maternity and gynaecology", an older core service, and is not counted.
    assert expected[("Maternity", "Overall", "Requires improvement")] == 1
    assert expected[("Forensic inpatient or secure wards", "Overall", "Good")] == 1
    assert sum(n for (service, kq, _), n in expected.items() if kq == "Overall") == 3
    placeholders = ", ".join("?" for _ in CORE_SERVICES)
    with serving(built_home) as con:
        rows = con.execute(
            "select service, key_question, rating, locations, rated_locations, pct_of_rated from mart_ratings_distribution "
            "where source = 'api' and area_level = 'england' and sector = 'All sectors' "
            f"and primary_inspection_category = 'All categories' and service in ({placeholders})",
            list(CORE_SERVICES),
        ).fetchall()
    assert {(s, kq, r): n for s, kq, r, n, _, _ in rows} == dict(expected)
    rated = collections.Counter()
    for (service, kq, rating), n in expected.items():
        if rating in ("Outstanding", "Good", "Requires improvement", "Inadequate"):
            rated[(service, kq)] += n
    for service, kq, _rating, n, rated_locations, pct in rows:
        assert rated_locations == rated[(service, kq)]
        assert pct == pytest.approx(100 * n / rated[(service, kq)])
    # A national load answers State of Care's question from these rows without new code.
    maternity = {r: pct for s, kq, r, _, _, pct in rows if s == "Maternity" and kq == "Overall"}
    assert maternity == {"Requires improvement": 100.0}


def ratings_figures() -> list[dict]:
    from tests.conftest import PUBLISHED_FIGURES

    return [r for r in csv.DictReader(PUBLISHED_FIGURES.open()) if r["family"] == "ratings"]


def test_each_ratings_figure_names_a_query_that_runs_on_the_published_marts(built_home):
    """No bundled file reproduces State of Care's national ratings figures, so their rows carry no
    expected value; each note gives the query a national capture would answer them with."""
    figures = ratings_figures()
    assert {f["figure_id"] for f in figures} >= {
        "ratings_maternity_inadequate_overall",
        "ratings_maternity_ri_overall",
        "ratings_ambulance_trusts_ri_or_inadequate",
    }
    with serving(built_home) as con:
        for figure in figures:
            assert figure["expected_from_shared_data"] == "" and figure["published_value"], figure["figure_id"]
            sql = figure["note"].split("Query: ", 1)[1]
            assert len(con.execute(sql).fetchall()) == 1, figure["figure_id"]
        # On the Oldham capture the maternity query gives Oldham's one maternity service (the Royal Oldham).
        maternity = next(f for f in figures if f["figure_id"] == "ratings_maternity_ri_overall")
        assert con.execute(maternity["note"].split("Query: ", 1)[1]).fetchall() == [(100.0,)]
