"""The carers marts as a user sees them after `nhs-warehouse build`: Oflog's published medians
reproduced, merged councils followed, and the dbt tests behind them shown to fail on bad marts."""

import json
import shutil

import duckdb
import pytest

from tests.conftest import run_cli
from tests.support.gate_fixtures import run_dbt_tests

pytestmark = pytest.mark.slow


def query(home, sql):
    result = run_cli("query", sql, "--format", "json", home=home, check=True)
    return json.loads(result.stdout)


def england(home, year, measure):
    [row] = query(
        home,
        f"select median_value, councils, councils_with_value, missing_councils from mart_carers_region_year "
        f"where is_england and financial_year = '{year}' and measure_code = '{measure}'",
    )
    return row


def test_2021_22_carer_quality_of_life_median_is_7_2_over_149_councils(built_home):
    row = england(built_home, "2021-22", "1D")
    assert (row["median_value"], row["councils_with_value"], row["councils"]) == (7.2, 149, 152)
    assert row["missing_councils"] == "Hackney; Isles of Scilly; Lewisham"


def test_2021_22_carers_finding_information_easy_median_is_57_3(built_home):
    assert england(built_home, "2021-22", "3D2")["median_value"] == 57.3


def test_2018_19_carer_quality_of_life_median_is_7_4_over_151_councils(built_home):
    row = england(built_home, "2018-19", "1D")
    assert (row["median_value"], row["councils_with_value"]) == (7.4, 151)


def test_regions_are_onss_nine(built_home):
    names = {
        r["region_name"]
        for r in query(built_home, "select distinct region_name from mart_carers_region_year where not is_england")
    }
    assert len(names) == 9 and "Midlands" not in names  # ONS regions, not NHS England's seven
    assert {"Yorkshire and The Humber", "East Midlands", "West Midlands"} <= names


def test_bournemouth_and_poole_lead_to_bcp(built_home):
    rows = query(
        built_home,
        "select la_code, successor_la_code, last_financial_year from dim_local_authority where la_code in ('E06000028', 'E06000029', 'E10000021') order by 1",
    )
    assert [(r["la_code"], r["successor_la_code"], r["last_financial_year"]) for r in rows] == [
        ("E06000028", "E06000058", "2018-19"),
        ("E06000029", "E06000058", "2018-19"),
        ("E10000021", None, "2020-21"),  # Northamptonshire split in two: no single successor
    ]
    years = query(
        built_home, "select distinct financial_year from fct_carers_council_year where la_code = 'E06000058' order by 1"
    )
    assert years[0]["financial_year"] == "2019-20"


def test_every_council_reported_in_each_year_existed_that_year(built_home):
    per_year = query(
        built_home,
        "select financial_year, count(distinct la_code) as councils from fct_carers_council_year group by 1 order by 1",
    )
    assert [r["councils"] for r in per_year] == [152, 152, 152, 152, 151, 151, 152, 152]


def test_the_figure_tests_fail_when_the_mart_is_wrong(built_home, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute(
        "update marts.mart_carers_region_year set median_value = 7.3 where is_england and financial_year = '2021-22' and measure_code = '1D'"
    )
    con.execute(
        "update marts.mart_carers_region_year set councils_with_value = 150 where is_england and financial_year = '2018-19' and measure_code = '1D'"
    )
    con.close()
    statuses = run_dbt_tests(
        db, tmp_path, ["assert_carers_published_figures_reproduced", "assert_carers_england_median_matches_oflog"]
    )
    assert statuses == {
        "assert_carers_published_figures_reproduced": "fail",
        "assert_carers_england_median_matches_oflog": "fail",
    }
