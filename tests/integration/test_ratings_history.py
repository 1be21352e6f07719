"""A second capture of the API, in which some ratings changed and one was lost, becomes history."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from tests.conftest import run_cli
from tests.support.cqc_loopback import CqcLoopbackApi
from dagster_project.settings import load_settings
from dagster_project.sources.cqc.api import capture_to_landing

pytestmark = pytest.mark.slow

JUNE = dt.datetime(2025, 6, 1, 6, 0, tzinfo=dt.timezone.utc)
CARE_HOME = "1-10820630788"  # Helping Hands Oldham (a registered home care service)


@pytest.fixture(scope="module")
def second_load(built_home, tmp_path_factory):
    """The built warehouse, then a June capture in which the Royal Oldham's overall rating went
    from Requires improvement to Good, its maternity rating disappeared, and a care home went
    from Good to Inadequate."""
    home = tmp_path_factory.mktemp("history") / "home"
    shutil.copytree(built_home, home)
    with CqcLoopbackApi() as api:
        api.rerate_royal_oldham()
        home_doc = api.document("locations", CARE_HOME)
        assert home_doc["currentRatings"]["overall"]["rating"] == "Good"
        home_doc["currentRatings"]["overall"].update(rating="Inadequate", reportDate="2025-05-20")
        api.set_document("locations", CARE_HOME, home_doc)
        settings = load_settings().replace(home=home, source_urls={"cqc_api": api.base_url}, http_backoff_s=0.01)
        record, results = capture_to_landing(settings, now=JUNE)
    assert record["as_at"] == "2025-06-01"
    assert [(r.source, r.status, r.periods) for r in results] == [
        ("cqc_api_locations", "landed", ("2025-06-01",)),
        ("cqc_api_providers", "landed", ("2025-06-01",)),
    ]
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    return home


def history(home, where: str) -> list[tuple]:
    with duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True) as con:
        return con.execute(
            "select rating, valid_from, valid_to, change, previous_rating, is_published from fct_location_rating_history "
            f"where {where} order by valid_from"
        ).fetchall()


def test_a_changed_rating_closes_the_old_version_and_opens_a_new_one(second_load):
    assert history(second_load, "location_id = 'RM317' and service is null and key_question = 'Overall'") == [
        ("Requires improvement", dt.date(2025, 3, 20), dt.date(2025, 6, 1), "first seen", None, True),
        ("Good", dt.date(2025, 6, 1), None, "changed", "Requires improvement", True),
    ]
    assert history(second_load, f"location_id = '{CARE_HOME}' and service is null and key_question = 'Overall'") == [
        ("Good", dt.date(2025, 3, 20), dt.date(2025, 6, 1), "first seen", None, True),
        ("Inadequate", dt.date(2025, 6, 1), None, "changed", "Good", True),
    ]


def test_a_rating_the_newer_load_lost_is_kept_and_marked_no_longer_published(second_load):
    assert history(second_load, "location_id = 'RM317' and service = 'Maternity' and key_question = 'Overall'") == [
        ("Requires improvement", dt.date(2025, 3, 20), dt.date(2025, 6, 1), "first seen", None, True),
        (None, dt.date(2025, 6, 1), None, "no longer published", "Requires improvement", False),
    ]


def test_unchanged_ratings_keep_one_version(second_load):
    assert history(second_load, "location_id = 'RM317' and service = 'Surgery' and key_question = 'Safe'") == [
        ("Requires improvement", dt.date(2025, 3, 20), None, "first seen", None, True),
    ]


def test_current_ratings_and_the_distribution_follow_the_newest_snapshot(second_load):
    with duckdb.connect(str(second_load / "serving" / "marts.duckdb"), read_only=True) as con:
        assert con.execute(
            "select rating, as_at_date from fct_location_rating_current where location_id = 'RM317' and service is null and key_question = 'Overall'"
        ).fetchone() == ("Good", dt.date(2025, 6, 1))
        assert (
            con.execute(
                "select count(*) from fct_location_rating_current where location_id = 'RM317' and service = 'Maternity'"
            ).fetchone()[0]
            == 0
        )
        counts = dict(
            con.execute(
                "select rating, locations from mart_ratings_distribution where source = 'api' and area_level = 'england' and sector = 'All sectors' "
                "and primary_inspection_category = 'All categories' and service is null and key_question = 'Overall'"
            ).fetchall()
        )
    # March: 97 Good, 14 Requires improvement, no Inadequate among registered locations. In June the
    # Royal Oldham moved from Requires improvement to Good and the care home from Good to Inadequate.
    assert (counts["Good"], counts["Requires improvement"], counts["Inadequate"]) == (97, 13, 1)
