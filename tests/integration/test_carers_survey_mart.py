"""mart_carers_survey_measures end to end: a Survey of Adult Carers table CONSTRUCTED in the layout
the parser reads (no real SACE council table is bundled, so the layout is unverified) is dropped
into a copy of the built warehouse with `nhs-warehouse ingest` and modelled by `nhs-warehouse
build`. The table covers every North East council, so the region's published figures are
reconciled with them; England and London, printed without all their councils, are not. The dbt
tests behind the mart are shown to fail on a misread total and on a published figure not matched.
The table is titled 2023-24, a year the bundled Oflog file does not cover."""

import shutil

import duckdb
import pytest

from tests.conftest import run_cli
from tests.support.constructed_files import sace_north_east_workbook
from tests.support.gate_fixtures import run_dbt_tests

pytestmark = pytest.mark.slow

MART = "marts.mart_carers_survey_measures"


@pytest.fixture(scope="module")
def home(tmp_path_factory, built_home):
    folder = tmp_path_factory.mktemp("sace-mart")
    home = folder / "home"
    shutil.copytree(built_home, home)
    table = sace_north_east_workbook(folder / "constructed-sace-2023-24-north-east.xlsx")
    ingested = run_cli("ingest", str(table), home=home)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    built = run_cli("build", home=home)
    assert built.returncode == 0, built.stdout + built.stderr
    return home


def rows(home, sql):
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def total(home, area, measure):
    [row] = rows(
        home,
        f"select value, councils_in_area, councils_in_table, councils_reported, council_min_value, council_max_value, "
        f"round(council_mean_value, 4), reconciliation from {MART} "
        f"where financial_year = '2023-24' and la_code = '{area}' and measure_code = '{measure}'",
    )
    return row


def test_councils_and_published_totals_are_rows_of_one_mart(home):
    counts = rows(home, f"select area_level, count(*) from {MART} where financial_year = '2023-24' group by 1 order by 1")
    assert counts == [("council", 12 * 3), ("england", 3), ("region", 2 * 3)]
    assert rows(
        home,
        f"select area_name, region_name, measure_name, unit, value from {MART} where la_code = 'E06000001' and measure_code = '1D'",
    ) == [("Hartlepool", "North East", "Carer-reported quality of life", "score out of 12", 7.2)]


def test_the_north_east_quality_of_life_score_lies_within_its_twelve_councils(home):
    # The published 7.6 is a weighted estimate; the unweighted council mean (7.625) is shown beside it.
    assert total(home, "E12000001", "1D") == (7.6, 12, 12, 12, 7.2, 8.0, 7.625, "reconciled")


def test_a_total_one_rounding_unit_below_the_lowest_council_still_reconciles(home):
    # 34.9 against councils from 35.0: both printed to one decimal, so within the publisher's rounding.
    assert total(home, "E12000001", "3B")[-1] == "reconciled"


def test_a_suppressed_council_leaves_its_regions_total_unchecked(home):
    value, *_, reconciliation = total(home, "E12000001", "3C")
    assert (value, reconciliation) == (66.0, "not_checkable_councils_suppressed")
    assert rows(
        home, f"select value, value_status, value_marker from {MART} where la_code = 'E08000024' and measure_code = '3C'"
    ) == [(None, "suppressed", "[c]")]


def test_areas_printed_without_all_their_councils_are_not_reconciled(home):
    assert total(home, "E12000007", "1D")[1:4] == (33, 0, 0)
    assert total(home, "E12000007", "1D")[-1] == "not_checkable_councils_missing"
    assert total(home, "E92000001", "1D")[-1] == "not_checkable_councils_missing"


def test_the_mart_checks_fail_on_a_misread_total_and_an_unmatched_published_figure(home, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(home / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    # A total read from the wrong row: 9.5 is above every North East council's 1D.
    con.execute(f"update {MART} set value = 9.5 where la_code = 'E12000001' and measure_code = '1D'")
    # An England 3B for 2021-22 that is not the 36.3 NHS Digital published.
    con.execute(
        f"insert into {MART} (financial_year, area_level, la_code, area_name, measure_code, measure_name, value, value_status, reconciliation) "
        "values ('2021-22', 'england', 'E92000001', 'England', '3B', 'Carers who are extremely or very satisfied with support or services', 36.0, 'reported', 'not_checkable_councils_missing')"
    )
    con.close()
    assert run_dbt_tests(
        db, tmp_path, ["assert_sace_totals_within_council_range", "assert_sace_published_figures_reproduced"]
    ) == {"assert_sace_totals_within_council_range": "fail", "assert_sace_published_figures_reproduced": "fail"}


def test_the_mart_checks_pass_on_the_constructed_table(home, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(home / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute(
        f"insert into {MART} (financial_year, area_level, la_code, area_name, measure_code, measure_name, value, value_status, reconciliation) "
        "values ('2021-22', 'england', 'E92000001', 'England', '3B', 'Carers who are extremely or very satisfied with support or services', 36.3, 'reported', 'not_checkable_councils_missing')"
    )
    con.close()
    assert run_dbt_tests(
        db, tmp_path, ["assert_sace_totals_within_council_range", "assert_sace_published_figures_reproduced"]
    ) == {"assert_sace_totals_within_council_range": "pass", "assert_sace_published_figures_reproduced": "pass"}
