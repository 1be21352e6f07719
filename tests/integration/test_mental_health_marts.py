"""The OAPs marts as a user sees them after `nhs-warehouse build`: England's placements active at
period end equal the England row of each real monthly file, regions follow the publisher's
rounding, and the dbt tests behind the marts fail when a mart is wrong."""

import json
import shutil

import duckdb
import pytest

from tests.conftest import run_cli
from tests.support.gate_fixtures import run_dbt_tests
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.mental_health import MH_OAPS_MONTHLY as SPEC

pytestmark = pytest.mark.slow
OAPS = SAMPLES_DIR / "mental_health" / "oaps"


def query(home, sql):
    return json.loads(run_cli("query", sql, "--format", "json", home=home, check=True).stdout)


def england_row(name: str, question: str) -> float:
    frame = SPEC.parse(OAPS / name).tables[""]
    [value] = frame[(frame.breakdown1 == "England") & (frame.question == question)].value
    return value


@pytest.mark.parametrize(
    "name, month, active",
    [
        ("oaps-open-data-oct-2016.csv", "2016-10-01", 203),
        ("oaps-open-data-nov-2016.csv", "2016-11-01", 528),
        ("oaps-open-data-feb-2017.csv", "2017-02-01", 681),
    ],
)
def test_england_active_at_period_end_is_the_files_england_row(built_home, name, month, active):
    [row] = query(
        built_home,
        "select area_name, oaps_active_at_period_end, oaps_started_in_period, total_oap_days, recorded_cost "
        f"from mart_mh_out_of_area_month where area_level = 'england' and month_start = date '{month}'",
    )
    assert row["area_name"] == "England"
    assert row["oaps_active_at_period_end"] == active == england_row(name, "OAPs active at period end")
    assert row["oaps_started_in_period"] == england_row(name, "OAPs started in period")
    assert row["total_oap_days"] == england_row(name, "Total number of OAP days over the period")
    assert row["recorded_cost"] == england_row(name, "Total recorded costs over the period")


def test_regions_are_the_publishers_four_and_unknown_rounded_to_5(built_home):
    rows = query(
        built_home,
        "select area_code, area_name, oaps_active_at_period_end from mart_mh_out_of_area_month "
        "where area_level = 'region' and month_start = date '2017-02-01' order by area_code",
    )
    assert [(r["area_code"], r["oaps_active_at_period_end"]) for r in rows] == [
        ("999", 30),
        ("Y54", 170),
        ("Y55", 190),
        ("Y56", 105),
        ("Y57", 185),
    ]
    assert rows[3]["area_name"] == "London Commissioning Region"
    # 680 against England's exact 681: the regions' rounding, not a lost placement.
    assert sum(r["oaps_active_at_period_end"] for r in rows) == 680


def test_the_2016_distance_bands_stay_apart_from_the_2017_ones(built_home):
    rows = query(
        built_home,
        "select month_start, band, value from mart_mh_out_of_area_breakdown_month where area_level = 'england' "
        "and breakdown = 'all' and measure_name = 'oaps_active_in_period_by_distance' and band_lower = 0 order by 1",
    )
    assert [(r["month_start"][:7], r["band"], r["value"]) for r in rows] == [
        ("2016-11", "under 20 km", 142),
        ("2017-02", "under 25 km", 275),
    ]


def test_england_by_bed_type_names_each_bed_type(built_home):
    rows = query(
        built_home,
        "select category_name, value from mart_mh_out_of_area_breakdown_month where area_level = 'england' "
        "and breakdown = 'bed_type' and measure_name = 'oaps_active_at_period_end' and month_start = date '2016-10-01' "
        "order by category_code",
    )
    assert [(r["category_name"], r["value"]) for r in rows] == [
        ("Acute adult mental health care", 138),
        ("Acute older adult mental health care (organic and functional)", 21),
        ("Psychiatric Intensive Care Unit (acute mental health care)", 44),
    ]


def test_the_oaps_tests_fail_when_the_marts_are_wrong(built_home, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    # One bed type too many placements; a region 20 placements over England's exact count, unrounded.
    con.execute(
        "update marts.mart_mh_out_of_area_breakdown_month set value = value + 1 where area_level = 'england' "
        "and breakdown = 'bed_type' and category_code = '10' and measure_name = 'oaps_active_at_period_end' "
        "and month_start = date '2016-10-01'"
    )
    con.execute(
        "update marts.mart_mh_out_of_area_month set oaps_active_at_period_end = oaps_active_at_period_end + 21 "
        "where area_code = 'Y56' and month_start = date '2016-11-01'"
    )
    con.close()
    statuses = run_dbt_tests(
        db,
        tmp_path,
        [
            "assert_mh_oaps_england_equals_sum_of_exact_breakdowns",
            "assert_mh_oaps_regions_within_rounding_of_england",
            "mart_mh_out_of_area_month,test_type:generic",
        ],
    )
    assert statuses["assert_mh_oaps_england_equals_sum_of_exact_breakdowns"] == "fail"
    assert statuses["assert_mh_oaps_regions_within_rounding_of_england"] == "fail"
    rounding = [name for name in statuses if name.startswith("expression_is_true_mart_mh_out_of_area_month")]
    assert [statuses[name] for name in rounding] == ["fail"]
