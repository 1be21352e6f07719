"""Provider ratings by type of provider, from a capture whose provider documents are shaped by CQC's schema.

The 20 bundled Oldham provider documents carry no `currentRatings` (care homes and dental
partnerships are rated per location), so no real file exercises the provider ratings layout. These
tests add provider documents built here to the shape of CQC's JSON Schema of the provider object
(data/samples/ratings/api_schema/Syndication_Provider_Id.json; each document is validated against
it), serve them with the real Oldham documents from the loopback API, and build. The ids are real
trust codes so that the cited nhs_trust_types reference types them; the names say they are
fixtures and the ratings are invented: nothing here is a claim about any trust's real rating.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import jsonschema
import pytest

from dagster_project.settings import SAMPLES_DIR, load_settings
from dagster_project.sources import SOURCES
from dagster_project.sources.cqc.api import capture_to_landing
from tests.conftest import run_cli
from tests.support.cqc_loopback import CqcLoopbackApi

pytestmark = pytest.mark.slow

(SCHEMA_ONLY,) = SOURCES["cqc_api_providers"].schema_only
PROVIDER_SCHEMA = json.loads((SAMPLES_DIR / SCHEMA_ONLY.schema).read_text())
JUNE = dt.datetime(2025, 6, 1, 6, 0, tzinfo=dt.timezone.utc)
KEY_QUESTIONS = ("Safe", "Effective", "Caring", "Responsive", "Well-led")
GREATER_MANCHESTER = "NHS Greater Manchester Integrated Care Board"  # North West (dim_icb)
BIRMINGHAM = "NHS Birmingham And Solihull Integrated Care Board"  # Midlands


def schema_shaped_provider(
    provider_id: str,
    overall: str,
    *,
    ownership: str = "NHS Body",
    provider_type: str | None = "NHS Healthcare Organisation",
    icb: str | None = None,
    registration: str = "Registered",
    key_questions: dict[str, str] | None = None,
) -> dict:
    """A provider document with the fields and nesting CQC's provider schema gives, checked against it."""
    ratings = {kq: overall for kq in KEY_QUESTIONS} | (key_questions or {})
    report = {"reportDate": "2024-11-20", "reportLinkId": f"schema-shaped-{provider_id}"}
    document = {
        "providerId": provider_id,
        "locationIds": [],
        "organisationType": "Provider",
        "ownershipType": ownership,
        "name": f"Schema-shaped fixture provider {provider_id}",
        "registrationStatus": registration,
        "registrationDate": "2013-04-01",
        "inspectionDirectorate": "Hospitals",
        "localAuthority": "Oldham",
        "region": "North West",
        "lastInspection": {"date": "2024-09-10"},
        "lastReport": {"publicationDate": "2024-11-20"},
        "contacts": [],
        "relationships": [],
        "regulatedActivities": [],
        "inspectionAreas": [],
        "currentRatings": {
            "overall": {
                "rating": overall,
                **report,
                "keyQuestionRatings": [{"name": kq, "rating": rating, **report} for kq, rating in ratings.items()],
            },
            "reportDate": "2024-11-20",
            "serviceRatings": [],
        },
    }
    if provider_type is not None:
        document["type"] = provider_type
    if registration == "Deregistered":
        document["deregistrationDate"] = "2025-01-31"
    if icb is not None:
        document["onspdIcbName"] = icb
    jsonschema.Draft4Validator(PROVIDER_SCHEMA).validate(document)
    return document


FIXTURE_PROVIDERS = [
    # Ambulance trusts (AmbSYS): one Requires improvement (Well-led Inadequate), one Outstanding,
    # and one deregistered (kept in the fact, left out of the distribution).
    schema_shaped_provider("RX7", "Requires improvement", icb=GREATER_MANCHESTER, key_questions={"Well-led": "Inadequate"}),
    schema_shaped_provider("RYA", "Outstanding", icb=BIRMINGHAM),
    schema_shaped_provider("RX8", "Inadequate", icb=GREATER_MANCHESTER, registration="Deregistered"),
    # An acute trust (type 1 A&E); its region is its trust's (System Mapping), with no ICB in the document.
    schema_shaped_provider("RM3", "Requires improvement"),
    # NHS trusts no real file classifies: one the reference lists as unclassified (an OAPs sending
    # provider), and an NHS body it does not know at all (and no region).
    schema_shaped_provider("RT2", "Good", icb=GREATER_MANCHESTER),
    schema_shaped_provider("RZZ", "Good"),
    # A provider that is not an NHS body and whose document gives no type of provider.
    schema_shaped_provider("1-900000001", "Good", ownership="Organisation", provider_type=None, icb=GREATER_MANCHESTER),
]


@pytest.fixture(scope="module")
def provider_load(built_home, tmp_path_factory):
    """The built warehouse, then a June capture: the real Oldham documents and the fixture providers."""
    home = tmp_path_factory.mktemp("providers") / "home"
    shutil.copytree(built_home, home)
    with CqcLoopbackApi() as api:
        for document in FIXTURE_PROVIDERS:
            api.set_document("providers", document["providerId"], document)
            api.lists["providers"].append({"providerId": document["providerId"], "providerName": document["name"]})
        settings = load_settings().replace(home=home, source_urls={"cqc_api": api.base_url}, http_backoff_s=0.01)
        record, results = capture_to_landing(settings, now=JUNE)
    assert [(r.source, r.status) for r in results] == [("cqc_api_locations", "landed"), ("cqc_api_providers", "landed")]
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    return home


def query(home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_document_missing_a_field_the_schema_requires_is_not_schema_shaped():
    document = schema_shaped_provider("RX7", "Good")
    del document["currentRatings"]["overall"]["keyQuestionRatings"][0]["reportLinkId"]
    with pytest.raises(jsonschema.ValidationError, match="reportLinkId"):
        jsonschema.Draft4Validator(PROVIDER_SCHEMA).validate(document)


def test_every_provider_rating_is_in_the_fact_with_its_type(provider_load):
    rows = query(
        provider_load,
        "select provider_id, provider_type, provider_type_source, is_nhs_trust, is_registered, region_code, rating "
        "from fct_provider_rating_current where key_question = 'Overall' order by provider_id",
    )
    assert rows == [
        ("1-900000001", "unclassified", "none", False, True, "Y62", "Good"),
        ("RM3", "acute", "nhs_trust_types", True, True, "Y62", "Requires improvement"),
        ("RT2", "unclassified", "nhs_trust_types", True, True, "Y62", "Good"),
        ("RX7", "ambulance", "nhs_trust_types", True, True, "Y62", "Requires improvement"),
        ("RX8", "ambulance", "nhs_trust_types", True, False, "Y62", "Inadequate"),
        ("RYA", "ambulance", "nhs_trust_types", True, True, "Y60", "Outstanding"),
        ("RZZ", "unclassified", "none", True, True, None, "Good"),
    ]
    # Overall and the five key questions of each fixture provider; the Oldham documents add none.
    assert query(provider_load, "select count(*), count(distinct rating_key) from fct_provider_rating_current") == [(42, 42)]
    assert query(
        provider_load,
        "select key_question, rating, report_date, as_at_date from fct_provider_rating_current "
        "where provider_id = 'RX7' and key_question in ('Safe', 'Well-led') order by key_question_order",
    ) == [
        ("Safe", "Requires improvement", dt.date(2024, 11, 20), dt.date(2025, 6, 1)),
        ("Well-led", "Inadequate", dt.date(2024, 11, 20), dt.date(2025, 6, 1)),
    ]


def test_how_many_ambulance_trusts_are_rated_requires_improvement_or_inadequate(provider_load):
    rows = query(
        provider_load,
        "select rating, providers, all_providers, rated_providers, pct_of_rated from mart_ratings_provider_type "
        "where provider_group = 'NHS trusts' and provider_type = 'ambulance' and key_question = 'Overall' "
        "and area_level = 'england' order by rating_order",
    )
    # The deregistered ambulance trust (Inadequate) is not counted: registered providers only.
    assert rows == [("Outstanding", 1, 2, 2, 50.0), ("Requires improvement", 1, 2, 2, 50.0)]
    assert query(
        provider_load,
        "select sum(providers) from mart_ratings_provider_type where provider_type = 'ambulance' "
        "and key_question = 'Well-led' and area_level = 'england' and rating in ('Requires improvement', 'Inadequate')",
    ) == [(1,)]


def test_providers_no_source_types_are_counted_as_unclassified_not_lost(provider_load):
    by_type = query(
        provider_load,
        "select provider_group, provider_type, rating, providers from mart_ratings_provider_type "
        "where key_question = 'Overall' and area_level = 'england' order by 1, 2, rating_order",
    )
    assert by_type == [
        ("All providers", "All types", "Outstanding", 1),
        ("All providers", "All types", "Good", 3),
        ("All providers", "All types", "Requires improvement", 2),
        ("NHS trusts", "All types", "Outstanding", 1),
        ("NHS trusts", "All types", "Good", 2),
        ("NHS trusts", "All types", "Requires improvement", 2),
        ("NHS trusts", "acute", "Requires improvement", 1),
        ("NHS trusts", "ambulance", "Outstanding", 1),
        ("NHS trusts", "ambulance", "Requires improvement", 1),
        ("NHS trusts", "unclassified", "Good", 2),
        ("Other providers", "All types", "Good", 1),
        ("Other providers", "unclassified", "Good", 1),
    ]
    # Every registered fixture provider is counted once in England, whatever its type.
    registered = sum(1 for d in FIXTURE_PROVIDERS if d["registrationStatus"] == "Registered")
    assert sum(n for group, kind, _, n in by_type if group == "All providers") == registered == 6


def test_regions_split_the_providers_and_a_provider_with_no_region_is_its_own_area(provider_load):
    rows = query(
        provider_load,
        "select area_code, area_name, sum(providers) from mart_ratings_provider_type "
        "where provider_group = 'All providers' and key_question = 'Overall' and area_level = 'region' group by all order by 1",
    )
    assert rows == [("UNKNOWN", "Region not known", 1), ("Y60", "Midlands", 1), ("Y62", "North West", 4)]


def test_status_says_the_provider_ratings_loaded_are_checked_against_the_api_schema_only(provider_load, built_home):
    shown = run_cli("status", home=provider_load, check=True).stdout
    assert "⚠ cqc_api_providers: 42 rows of its ratings part, whose layout is checked against the API schema only" in " ".join(
        shown.split()
    )
    # The bundled samples alone load no provider ratings: nothing to warn about.
    assert "ratings part" not in run_cli("status", home=built_home, check=True).stdout


def test_a_provider_type_count_is_explained_to_the_api_capture(provider_load):
    result = run_cli(
        "explain",
        "mart_ratings_provider_type",
        "--where",
        "provider_type = 'ambulance' and key_question = 'Overall' and area_level = 'england' and rating = 'Requires improvement'",
        "--column",
        "providers",
        "--format",
        "json",
        home=provider_load,
        check=True,
    )
    explained = json.loads(result.stdout)
    assert explained["value"] == 1
    (file,) = [f for f in explained["files"] if f["source"] == "cqc_api_providers"]
    assert file["period"] == "2025-06-01" and file["raw_rows"] == 1
    assert file["documents"] == ["provider_details/provider_RX7.json"]


def test_the_published_figures_query_for_ambulance_trusts_answers_from_this_mart(provider_load):
    from tests.integration.test_ratings_marts import ratings_figures

    (figure,) = [f for f in ratings_figures() if f["figure_id"] == "ratings_ambulance_trusts_ri_or_inadequate"]
    # State of Care printed 4 of 10 nationally; of the fixture's two registered ambulance trusts, one.
    assert query(provider_load, figure["note"].split("Query: ", 1)[1]) == [(1,)]
