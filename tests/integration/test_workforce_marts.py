"""The workforce marts as a user sees them after `nhs-warehouse build`: every organisation's
sickness absence, England's rate as the ratio of summed days (checked against the CSV files
themselves), FTE without subtotals counted twice, and the dbt tests shown to fail on bad marts."""

import csv
import json
import shutil
from collections import defaultdict

import duckdb
import pytest

from tests.conftest import PUBLISHED_FIGURES, run_cli
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
    # The 2017 nationality workbook: all of England's HCHS FTE, about 1.05 million.
    assert round(fte["2017-09-01"]) == 1052963
    # RX1 (Workforce Statistics excerpt): the publisher's All staff groups total, not total + subtotals.
    [rx1] = query(
        built_home,
        "select sum(fte) as fte from fct_staff_fte_org_month where org_code = 'RX1' and month_start = date '2009-09-01'",
    )
    assert rx1["fte"] == pytest.approx(10389.24098, abs=0.001)


def test_no_england_or_region_staff_fte_is_built_from_part_of_the_organisations(built_home):
    """The RX1 excerpt is one trust's rows of a national file: 2009-09 and 2010-09 are in the
    organisation fact but get no England (or Midlands) row, which would show one trust beside
    national figures. The months whose file lists every organisation keep theirs, over all of them."""
    area_months = query(
        built_home,
        "select distinct cast(month_start as varchar) as month from mart_workforce_region_month where measure = 'staff_fte' order by 1",
    )
    assert [r["month"] for r in area_months] == ["2017-09-01", "2018-06-01"]
    fact_months = query(
        built_home,
        "select cast(month_start as varchar) as month, count(distinct org_code) as organisations "
        "from fct_staff_fte_org_month group by 1 order by 1",
    )
    assert {r["month"]: r["organisations"] for r in fact_months}["2009-09-01"] == 1
    england = query(
        built_home,
        "select cast(month_start as varchar) as month, organisations from mart_workforce_region_month "
        "where measure = 'staff_fte' and region_code = 'ENG' and breakdown_value = 'All staff groups' order by 1",
    )
    by_month = {r["month"]: r["organisations"] for r in fact_months}
    assert [(r["month"], r["organisations"]) for r in england] == [(m, by_month[m]) for m in ("2017-09-01", "2018-06-01")]


def test_the_whole_set_check_fails_on_an_england_row_from_one_trust(built_home, tmp_path):
    """The failing fixture: put back the England row the excerpt used to make (organisations = 1)."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute(
        "insert into marts.mart_workforce_region_month (month_start, region_code, region_name, measure, breakdown, "
        "breakdown_value, organisations, fte) values (date '2009-09-01', 'ENG', 'England', 'staff_fte', 'staff_group', "
        "'All staff groups', 1, 10389.24098)"
    )
    con.close()
    statuses = run_dbt_tests(db, tmp_path, ["assert_workforce_area_fte_only_from_the_whole_set"])
    assert statuses == {"assert_workforce_area_fte_only_from_the_whole_set": "fail"}


def test_the_workforce_published_figures_reproduce_and_their_check_fails_when_they_do_not(built_home, tmp_path):
    """RX1's All staff groups FTE (2009-09, 2010-09) is a figure the bundled excerpt prints; the
    vacancy key facts need the national file and carry no expected value, so they are not compared."""
    with open(PUBLISHED_FIGURES, newline="") as handle:
        figures = [r for r in csv.DictReader(handle) if r["family"] == "workforce"]
    reproducible = {r["figure_id"]: float(r["expected_from_shared_data"]) for r in figures if r["expected_from_shared_data"]}
    assert set(reproducible) == {"wf_fte_rx1_200909", "wf_fte_rx1_201009"}
    assert all("select " in r["note"] for r in figures if not r["expected_from_shared_data"])
    rows = query(
        built_home,
        "select cast(month_start as varchar) as month, sum(fte) as fte from fct_staff_fte_org_month where org_code = 'RX1' group by 1",
    )
    got = {r["month"]: r["fte"] for r in rows}
    assert got["2009-09-01"] == pytest.approx(reproducible["wf_fte_rx1_200909"], abs=0.001)
    assert got["2010-09-01"] == pytest.approx(reproducible["wf_fte_rx1_201009"], abs=0.001)

    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute("update marts.fct_staff_fte_org_month set fte = fte + 1 where org_code = 'RX1' and staff_group = 'Midwives'")
    con.close()
    statuses = run_dbt_tests(db, tmp_path, ["assert_workforce_published_figures_reproduced"])
    assert statuses == {"assert_workforce_published_figures_reproduced": "fail"}


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
