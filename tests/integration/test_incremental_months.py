"""fct_ae_provider_month is incremental by month: a build rewrites only the months that changed.

One home, built as a user would (`nhs-warehouse ingest` and `build`): May and a first release of
June 2023, then July, then NHS England's revised June. Each row carries `built_at` (when the dbt
build that wrote it began), so the test can see which months a build touched. Then dbt by hand on
the same warehouse: nothing changed rebuilds nothing, a reference-data change (a region renamed, an
organisation moved to another ICB) rebuilds every month, and `--full-refresh` rebuilds everything
too. Each model and test keeps its own mark (when it last passed): in a copy of the warehouse built
from every sample, a test that fails keeps its mark, so the next build checks the same rows again,
while the model it tests, which built, moves on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import DBT_PROJECT_DIR
from tests.conftest import run_cli, uec_sample
from tests.support.vintages import edited_vintage

pytestmark = pytest.mark.slow

MAY, JUNE, JULY = "2023-05-01", "2023-06-01", "2023-07-01"
R1K_JUNE_TYPE_1 = 12613  # the revised (bundled) June 2023 file


def query(db: Path, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def built_at_by_month(warehouse: Path) -> dict[str, tuple]:
    """month -> (rows, distinct built_at values, built_at)"""
    rows = query(
        warehouse,
        "select cast(month_start as varchar), count(*), count(distinct built_at), max(built_at) "
        "from marts.fct_ae_provider_month group by 1 order by 1",
    )
    return {month: (n, distinct, built) for month, n, distinct, built in rows}


FACT = "model.nhs_warehouse.fct_ae_provider_month"
KEEP_2_DBT_RUNS = {"NHS_WAREHOUSE_DBT_RUNS_KEPT": "2"}
OUT_OF_AREA_MART = "model.nhs_warehouse.mart_mh_out_of_area_month"  # not downstream of A&E
OVER_4H_TEST = "test.nhs_warehouse.expression_is_true_fct_ae_provider_month_attendances_over_4h_ae_attendances.%"


def mark(warehouse: Path, node: str) -> dt.datetime | None:
    """When the last build in which `node` (a unique_id, or a pattern) passed began (meta.dbt_node_builds)."""
    return query(warehouse, "select max(started_at) from meta.dbt_node_builds where unique_id like ?", [node])[0][0]


def dbt(warehouse: Path, tmp_path: Path, *args: str) -> None:
    """dbt by hand on the home's warehouse (its own target folder, so the project's manifest is untouched)."""
    env = {**os.environ, "NHS_WAREHOUSE_DB": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "dbt-logs"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_new_month_or_a_revision_rebuilds_only_its_month(tmp_path):
    home = tmp_path / "home"
    warehouse = home / "warehouse.duckdb"
    first_june = edited_vintage(
        uec_sample("June-2023"),
        tmp_path / "Monthly-AE-June-2023.csv",
        org_code="R1K",
        column="A&E attendances Type 1",
        delta=100,
    )
    run_cli("ingest", str(uec_sample("May-2023")), str(first_june), home=home, check=True)
    run_cli("build", "--no-samples", home=home, check=True, env=KEEP_2_DBT_RUNS)
    first = built_at_by_month(warehouse)
    assert set(first) == {MAY, JUNE}
    assert first[MAY][1] == first[JUNE][1] == 1 and first[MAY][2] == first[JUNE][2]
    assert mark(warehouse, FACT) is not None

    # One more month: July is built; May's and June's rows are the ones the first build wrote.
    run_cli("ingest", str(uec_sample("July-2023")), home=home, check=True)
    run_cli("build", "--no-samples", home=home, check=True, env=KEEP_2_DBT_RUNS)
    second = built_at_by_month(warehouse)
    assert second[MAY] == first[MAY] and second[JUNE] == first[JUNE]
    assert second[JULY][1] == 1 and second[JULY][2] > first[MAY][2]
    assert mark(warehouse, FACT) > first[MAY][2]

    # NHS England revises June: June's rows are replaced (none left from the first release), the others stay.
    run_cli("ingest", str(uec_sample("June-2023")), home=home, check=True)
    run_cli("build", "--no-samples", home=home, check=True, env=KEEP_2_DBT_RUNS)
    third = built_at_by_month(warehouse)
    # Each build left its dbt target folder under the home; only the newest two are kept, the
    # newest with this build's results.
    runs = sorted((home / "dbt" / "runs").iterdir())
    assert len(runs) == 2
    newest = json.loads((runs[-1] / "run_results.json").read_text())["results"]
    assert any(r["unique_id"] == FACT and r["status"] == "success" for r in newest)
    assert third[MAY] == first[MAY] and third[JULY] == second[JULY]
    assert third[JUNE][0] == first[JUNE][0] and third[JUNE][1] == 1 and third[JUNE][2] > second[JULY][2]
    assert query(
        warehouse,
        "select ae_attendances_type_1 from marts.fct_ae_provider_month where org_code = 'R1K' and month_start = ?",
        [JUNE],
    ) == [(R1K_JUNE_TYPE_1,)]

    # dbt by hand with nothing loaded since the model last built: no month is rewritten.
    dbt(warehouse, tmp_path, "run", "--select", "fct_ae_provider_month")
    assert built_at_by_month(warehouse) == third

    # The reference data renames a region: every month is rebuilt with the new name.
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("update reference.nhse_regions set region_name = 'London (renamed)' where region_name = 'London'")
    finally:
        con.close()
    dbt(warehouse, tmp_path, "run", "--select", "fct_ae_provider_month")
    moved = built_at_by_month(warehouse)
    assert {m: n for m, (n, _, _) in moved.items()} == {m: n for m, (n, _, _) in third.items()}
    assert all(distinct == 1 and built > third[JUNE][2] for _, distinct, built in moved.values())
    assert len({built for _, _, built in moved.values()}) == 1
    assert query(warehouse, "select count(*) from marts.fct_ae_provider_month where region_name = 'London'") == [(0,)]
    assert query(
        warehouse, "select count(distinct month_start) from marts.fct_ae_provider_month where region_name = 'London (renamed)'"
    ) == [(3,)]

    # The System Mapping moves an organisation to another ICB: every month is rebuilt again (the
    # model compares the reference data its last build used, meta.reference_as_built, with today's).
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("""update reference.nhse_system_mapping set "ICB Code" = 'QZZ1' where "Code" = 'R1K'""")
    finally:
        con.close()
    dbt(warehouse, tmp_path, "run", "--select", "fct_ae_provider_month")
    regrouped = built_at_by_month(warehouse)
    assert all(built > moved[MAY][2] for _, _, built in regrouped.values())
    assert query(warehouse, "select distinct icb_code from marts.fct_ae_provider_month where org_code = 'R1K'") == [("QZZ1",)]
    assert query(
        warehouse, "select value from meta.reference_as_built where model_id = ? and kind = 'icb' and key = 'R1K'", [FACT]
    ) == [("QZZ1",)]
    moved = regrouped

    # --full-refresh rebuilds the table from scratch, with the same rows.
    dbt(warehouse, tmp_path, "run", "--select", "fct_ae_provider_month", "--full-refresh")
    refreshed = built_at_by_month(warehouse)
    assert {m: n for m, (n, _, _) in refreshed.items()} == {m: n for m, (n, _, _) in third.items()}
    assert all(built > moved[MAY][2] for _, _, built in refreshed.values())


def test_a_failing_test_keeps_its_mark_and_checks_the_same_rows_again(built_home_copy):
    # Every bundled sample built, May and June 2023 among them.
    home = built_home_copy
    warehouse = home / "warehouse.duckdb"
    built, checked = mark(warehouse, FACT), mark(warehouse, OVER_4H_TEST)
    assert built is not None and checked == built

    first_may = built_at_by_month(warehouse)[MAY]

    # June arrives again (a new vintage: every row loaded anew) with one trust reporting more
    # over-4-hour attendances than attendances: fct_ae_provider_month's
    # `attendances_over_4h <= ae_attendances` test fails the build.
    con = duckdb.connect(str(warehouse))
    try:
        original = con.execute(
            "select over_4h_type_1 from raw.uec_ae_monthly where org_code = 'R1K' and _period = ?", [JUNE]
        ).fetchone()[0]
        con.execute(
            "update raw.uec_ae_monthly set _loaded_at = ? where _period = ?",
            [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), JUNE],
        )
        con.execute("update raw.uec_ae_monthly set over_4h_type_1 = 10000000 where org_code = 'R1K' and _period = ?", [JUNE])
    finally:
        con.close()
    # `--force uec_ae_monthly`: the marts downstream of A&E, as after mending its raw table by hand.
    failed = run_cli("build", "--no-samples", "--force", "uec_ae_monthly", home=home)
    assert failed.returncode != 0, failed.stdout
    # The model built June and passed, so its mark moves; the test failed, so its mark stays.
    assert mark(warehouse, FACT) > built and mark(warehouse, OVER_4H_TEST) == checked
    # A mart not downstream of A&E was not rebuilt.
    assert mark(warehouse, OUT_OF_AREA_MART) == built

    # Still failing on the next build: the test checks the same rows again, not taken as passed.
    again = run_cli("build", "--no-samples", "--force", "uec_ae_monthly", home=home)
    assert again.returncode != 0, again.stdout
    assert mark(warehouse, OVER_4H_TEST) == checked

    # Corrected in the next vintage of June: June is rebuilt and checked, the build passes, and the
    # test's mark moves.
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            "update raw.uec_ae_monthly set _loaded_at = ? where _period = ?",
            [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), JUNE],
        )
        con.execute("update raw.uec_ae_monthly set over_4h_type_1 = ? where org_code = 'R1K' and _period = ?", [original, JUNE])
    finally:
        con.close()
    run_cli("build", "--no-samples", "--force", "uec_ae_monthly", home=home, check=True)
    assert mark(warehouse, OVER_4H_TEST) > checked
    assert query(
        warehouse,
        "select attendances_over_4h <= ae_attendances, built_at > (select min(built_at) from marts.fct_ae_provider_month) "
        "from marts.fct_ae_provider_month where org_code = 'R1K' and month_start = ?",
        [JUNE],
    ) == [(True, True)]
    # Only June was rebuilt, every one of its rows; May is as the first build wrote it.
    months = built_at_by_month(warehouse)
    assert months[MAY] == first_may
    assert months[JUNE][1] == 1
    assert months[JUNE][0] == query(warehouse, "select count(*) from raw.uec_ae_monthly where _period = ?", [JUNE])[0][0]
