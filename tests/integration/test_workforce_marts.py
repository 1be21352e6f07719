"""The workforce marts as a user sees them after `nhs-warehouse build`: every organisation's
sickness absence, England's rate as the ratio of summed days (checked against the CSV files
themselves), FTE without subtotals counted twice, and the dbt tests shown to fail on bad marts."""

import csv
import json
import shutil
from collections import defaultdict

import duckdb
import pytest

from tests.conftest import run_cli
from tests.support.gate_fixtures import run_dbt_tests
from dagster_project.settings import SAMPLES_DIR

pytestmark = pytest.mark.slow
SICKNESS_FILES = sorted((SAMPLES_DIR / "workforce" / "sickness_absence_monthly").glob("*.csv"))


def query(home, sql):
    return json.loads(run_cli("query", sql, "--format", "json", home=home, check=True).stdout)


def test_every_organisation_in_every_month_is_in_the_fact_including_icbs_and_support_units(built_home):
    rows = query(
        built_home,
        "select cast(month_start as varchar) as month, org_type, count(*) as n from fct_sickness_absence_org_month group by all",
    )
    counts = defaultdict(int)
    for r in rows:
        counts[r["month"]] += r["n"]
    for path in SICKNESS_FILES:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            assert counts[f"{path.stem[-7:]}-01"] == sum(1 for _ in csv.DictReader(handle))
    types = {r["org_type"] for r in rows}
    assert {"Integrated Care Board", "Commissioning Support Unit", "Acute", "Ambulance", "Mental Health"} <= types


def test_england_rate_each_month_is_summed_days_lost_over_summed_days_available(built_home):
    mart = {
        r["month"]: r["rate"]
        for r in query(
            built_home,
            "select cast(month_start as varchar) as month, sickness_absence_rate as rate from mart_workforce_region_month "
            "where region_code = 'ENG' and measure = 'sickness_absence' and breakdown_value = 'All organisation types'",
        )
    }
    for path in SICKNESS_FILES:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        expected = 100 * sum(float(r["FTE_DAYS_LOST"]) for r in rows) / sum(float(r["FTE_DAYS_AVAILABLE"]) for r in rows)
        assert mart[f"{path.stem[-7:]}-01"] == pytest.approx(expected, abs=1e-9)
    assert round(mart["2024-04-01"], 2) == 4.76


def test_each_organisations_recomputed_rate_matches_the_publishers_to_its_rounding(built_home):
    [row] = query(
        built_home,
        "select max(abs(sickness_absence_rate - publisher_rate_percent)) as worst, count(*) as n from fct_sickness_absence_org_month",
    )
    assert row["n"] == 3394 and row["worst"] <= 0.005 + 1e-9


def test_fte_is_counted_once_not_with_the_publishers_subtotals(built_home):
    rows = query(
        built_home,
        "select cast(month_start as varchar) as month, fte from mart_workforce_region_month "
        "where region_code = 'ENG' and measure = 'staff_fte' and breakdown_value = 'All staff groups' order by 1",
    )
    fte = {r["month"]: r["fte"] for r in rows}
    # RX1 (Workforce Statistics excerpt): the publisher's All staff groups total, not total + subtotals.
    assert fte["2009-09-01"] == pytest.approx(10389.24098, abs=0.001)
    # The 2017 nationality workbook: all of England's HCHS FTE, about 1.05 million.
    assert round(fte["2017-09-01"]) == 1052963


def test_doctors_grades_are_one_staff_group(built_home):
    rows = query(
        built_home,
        "select staff_group, fte from fct_staff_fte_org_month where org_code = 'RX1' and month_start = date '2009-09-01'",
    )
    groups = {r["staff_group"]: r["fte"] for r in rows}
    assert groups["HCHS doctors"] == pytest.approx(1330.75227, abs=0.001)  # the publisher's "All grades" subtotal
    assert "All staff groups" not in groups


def test_the_legacy_workbooks_are_loaded(built_home):
    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select _period, count(distinct org_code), sum(headcount) filter (where nationality_group = 'EU' and staff_group = 'All staff') "
            "from raw.nhs_staff_eu_uk_headcount group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("2016-09-01", 435, 59945), ("2017-04-01", 429, 62145)]


def test_the_workforce_tests_fail_when_the_marts_are_wrong(built_home, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute(
        "update marts.mart_workforce_region_month set sickness_absence_rate = sickness_absence_rate + 0.01 where region_code = 'ENG' and month_start = date '2024-04-01' and breakdown_value = 'All organisation types'"
    )
    con.execute("update marts.fct_staff_fte_org_month set fte = fte * 2 where org_code = 'RX1' and staff_group = 'Midwives'")
    con.execute(
        "update marts.fct_sickness_absence_org_month set sickness_absence_rate = sickness_absence_rate + 0.006 where org_code = '0AR'"
    )
    con.close()
    statuses = run_dbt_tests(
        db,
        tmp_path,
        [
            "assert_workforce_england_sickness_rate_is_ratio_of_summed_days",
            "assert_workforce_staff_fte_matches_publisher_totals",
            "fct_sickness_absence_org_month,test_type:generic,test_name:expression_is_true",
        ],
    )
    assert statuses["assert_workforce_england_sickness_rate_is_ratio_of_summed_days"] == "fail"
    assert statuses["assert_workforce_staff_fte_matches_publisher_totals"] == "fail"
    rate_tests = {name: status for name, status in statuses.items() if name.startswith("expression_is_true_fct_sickness")}
    assert "fail" in rate_tests.values(), statuses
