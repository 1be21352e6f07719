"""`nhs-warehouse build` on the bundled samples, end to end, into a temporary home."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import duckdb
import pytest

from dagster_project.settings import PROJECT_ROOT
from tests.conftest import PUBLISHED_FIGURES, run_cli

pytestmark = pytest.mark.slow

FIGURE_20 = {
    # region: (patients waiting over 12 hours from decision to admit, emergency admissions via A&E)
    "East of England": (2054, 41376),
    "London": (5196, 53243),
    "Midlands": (6168, 72809),  # printed 6,217 from the first release; the bundled file is the June 2024 revision
    "North East and Yorkshire": (1831, 66488),
    "North West": (6329, 56114),  # printed 6,323, revised likewise
    "South East": (2517, 62972),
    "South West": (2393, 34970),
    "England": (26488, 387972),
}

FIGURE_20_SQL = (
    "select region_name, dta_waits_over_12h, emergency_admissions_via_ae, conversion_rate, pct_dta_over_12h "
    "from mart_uec_region_month where month_start = date '2023-06-01' order by region_name"
)


def _query_csv(home, sql):
    result = run_cli("query", "--format", "csv", sql, home=home, check=True)
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_figure_20_from_the_serving_db(built_home):
    rows = {r["region_name"]: r for r in _query_csv(built_home, FIGURE_20_SQL)}
    assert set(rows) == set(FIGURE_20)
    for region, (waits, admissions) in FIGURE_20.items():
        assert int(rows[region]["dta_waits_over_12h"]) == waits, region
        assert int(rows[region]["emergency_admissions_via_ae"]) == admissions, region
    # "London had 5,196 patients waiting over 12 hours": 10% of its emergency admissions via A&E.
    assert round(float(rows["London"]["pct_dta_over_12h"])) == 10
    assert round(float(rows["England"]["pct_dta_over_12h"])) == 7


def test_every_reference_figure_the_shared_data_can_reproduce(built_home):
    reference = list(csv.DictReader(PUBLISHED_FIGURES.open()))
    rows = {r["region_name"]: r for r in _query_csv(built_home, FIGURE_20_SQL)}
    checked = 0
    for figure in reference:
        if figure["family"] != "uec" or not figure["expected_from_shared_data"]:
            continue
        got = rows[figure["area"]]
        want = float(figure["expected_from_shared_data"])
        if figure["figure_id"].startswith("conv_"):
            assert abs(float(got["conversion_rate"]) - want) <= 0.05, figure["figure_id"]
        else:
            column = "dta_waits_over_12h" if "_12h_" in figure["figure_id"] else "emergency_admissions_via_ae"
            assert float(got[column]) == want, figure["figure_id"]
        checked += 1
    assert checked == 20


def test_the_serving_db_is_read_only_views_over_versioned_parquet(built_home):
    serving = built_home / "serving" / "marts.duckdb"
    con = duckdb.connect(str(serving), read_only=True)
    try:
        views = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
        assert {
            "mart_uec_region_month",
            "fct_ae_provider_month",
            "dim_organisation",
            "dim_region",
            "dim_icb",
            "dim_month",
        } <= views
        sql = con.execute("select sql from duckdb_views() where view_name = 'mart_uec_region_month'").fetchone()[0]
        assert "read_parquet" in sql and "/serving/versions/" in sql
        assert con.execute("select count(*) from mart_uec_region_month").fetchone()[0] == 51 * 8
        with pytest.raises(duckdb.Error):
            con.execute("create table nope as select 1")
    finally:
        con.close()


def _uv() -> str | None:
    local = PROJECT_ROOT / ".tools" / "bin" / "uv"
    return str(local) if local.exists() else shutil.which("uv")


def test_a_duckdb_1_4_client_can_read_the_serving_db(built_home):
    # BI drivers still bundle DuckDB 1.4, which refuses files in DuckDB 2.0's default format
    # ("version number 999"). Open the published file with a real DuckDB 1.4 in its own environment.
    uv = _uv()
    if uv is None:
        pytest.fail("uv is needed to install DuckDB 1.4 for this test (make test bootstraps it into .tools/)")
    script = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        'print(duckdb.__version__, con.execute("select dta_waits_over_12h from mart_uec_region_month '
        "where month_start = date '2023-06-01' and region_name = 'London'\").fetchone()[0])"
    )
    result = subprocess.run(
        [
            uv,
            "run",
            "--isolated",
            "--no-project",
            "--with",
            "duckdb==1.4.1",
            "python",
            "-c",
            script,
            str(built_home / "serving" / "marts.duckdb"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1.4.1", "5196"]


def test_a_second_build_has_nothing_to_do(built_home):
    result = run_cli("build", home=built_home, check=True)
    assert "no pending partitions" in result.stdout
    assert "marts are up to date" in result.stdout


def test_status_reports_partitions_and_the_publication(built_home):
    result = run_cli("status", home=built_home, check=True)
    assert "uec_ae_mon" in result.stdout and "51" in result.stdout
    assert "No quarantined files." in result.stdout
    assert "marts.duckdb" in result.stdout


def test_query_formats(built_home):
    sql = "select region_name, month_start from mart_uec_region_month where month_start = date '2023-06-01' and region_name = 'London'"
    as_json = json.loads(run_cli("query", "--format", "json", sql, home=built_home, check=True).stdout)
    assert as_json == [{"region_name": "London", "month_start": "2023-06-01"}]
    as_table = run_cli("query", sql, home=built_home, check=True).stdout
    assert "London" in as_table and "1 rows" in as_table
    bad = run_cli("query", "select * from no_such_mart", home=built_home)
    assert bad.returncode == 1 and "no_such_mart" in bad.stderr


def test_validation_results_and_data_docs_are_kept_under_the_home(built_home):
    docs = built_home / "validation" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert docs.exists() and "uec_ae_monthly" in docs.read_text()
    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        passed, total, partitions = con.execute(
            "select count(*) filter (where success), count(*), count(distinct period) from meta.validation_results "
            "where source_key = 'uec_ae_monthly'"
        ).fetchone()
    finally:
        con.close()
    assert partitions == 51 and passed == total
