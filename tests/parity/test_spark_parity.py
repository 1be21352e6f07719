"""The same dbt project on DuckDB and on Apache Spark gives the same marts, row for row.

The embedded default is built with `nhs-warehouse build` (DuckDB, the whole pipeline: landing,
gate, load, which also mirrors raw to Parquet, dbt, publish), then `nhs-warehouse build-spark`
builds every seed, model, snapshot and dbt test again with dbt-spark in a local Spark session,
reading that Parquet mirror. Every published model (the marts) is then compared: same columns,
same number of rows, every row equal (exactly for counts, codes, names, dates and flags; to a
relative 1e-9 for floating-point rates, means and sums).

A second load (changed CQC ratings, a revised A&E month) is then built on both engines again, so
rating history (a dbt snapshot's second run) and mart_revisions are compared with rows in them.

Slow (Spark builds the project in minutes here): `make test-parity` runs it, `make test` does not.
A summary of what was compared is written to test-artifacts/parity.json.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest

from dagster_project.settings import PROJECT_ROOT, load_settings
from dagster_project.sources.cqc.api import capture_to_landing
from tests.conftest import run_cli, uec_sample
from tests.support.cqc_loopback import CqcLoopbackApi
from tests.support.parity import compare
from tests.support.vintages import edited_vintage

pytestmark = [pytest.mark.parity, pytest.mark.slow]


def _settings_for(home):
    import os

    os.environ["NHS_WAREHOUSE_HOME"] = str(home)
    try:
        return load_settings()
    finally:
        del os.environ["NHS_WAREHOUSE_HOME"]


@pytest.fixture(scope="module")
def spark_home(built_home, tmp_path_factory):
    """A copy of the DuckDB-built home, with the same project built on Spark beside it (home/spark).

    A copy: the session's built home stays read-only, and `second_load` goes on in this one."""
    home = tmp_path_factory.mktemp("parity") / "home"
    # Never a Spark folder from elsewhere: its metastore records absolute table locations.
    shutil.copytree(built_home, home, symlinks=True, ignore=shutil.ignore_patterns("spark"))
    result = run_cli("build-spark", home=home, timeout=3600)
    assert result.returncode == 0, f"build-spark failed\n{result.stdout}\n{result.stderr}"
    return home


def _published_models() -> list[tuple[str, str]]:
    from dagster_project.assets.dbt import published_models

    return [tuple(relation.split(".", 1)) for _, relation in published_models()]


def _manifest() -> dict:
    return json.loads((PROJECT_ROOT / "dbt" / "target" / "manifest.json").read_text())


def _per_build_columns() -> dict[str, set[str]]:
    """Each model's columns marked `meta: {per_build: true}` in its YAML (e.g. built_at)."""
    return {
        node["alias"] or node["name"]: {name for name, column in node["columns"].items() if column["meta"].get("per_build")}
        for node in _manifest()["nodes"].values()
        if node["resource_type"] == "model"
    }


def _run_results(settings) -> list[dict]:
    return json.loads((settings.spark_dir / "dbt-target" / "run_results.json").read_text())["results"]


def kind_of(result: dict) -> str:
    return result["unique_id"].split(".", 1)[0]


def test_every_model_seed_snapshot_and_test_builds_on_spark(spark_home):
    results = _run_results(_settings_for(spark_home))
    by_type: dict[str, list[dict]] = {}
    for r in results:
        by_type.setdefault(kind_of(r), []).append(r)
    manifest = _manifest()
    expected = {
        kind: sum(1 for node in manifest["nodes"].values() if node["resource_type"] == kind)
        for kind in ("model", "seed", "snapshot", "test")
    }
    # The DuckDB manifest and the Spark run hold the same project: nothing is left out on Spark.
    assert {kind: len(by_type.get(kind, [])) for kind in expected} == expected
    # An exposure (dbt/models/exposures.yml) has nothing to build: dbt reports it as no-op.
    failed = [
        f"{r['unique_id']}: {r['status']} {r.get('message')}"
        for r in results
        if r["status"] not in ("success", "pass", "warn") and not (kind_of(r) == "exposure" and r["status"] == "no-op")
    ]
    assert not failed, "\n".join(failed)


def test_every_mart_is_the_same_on_duckdb_and_spark(spark_home):
    settings = _settings_for(spark_home)
    models = _published_models()
    assert len(models) >= 18, models
    con = duckdb.connect()
    con.execute(f"attach '{settings.warehouse_db}' as duck (read_only)")
    per_build = _per_build_columns()
    assert per_build["fct_ae_provider_month"] == {"built_at"}
    comparisons = []
    for schema, table in models:
        spark_dir = settings.spark_dir / "warehouse" / f"{schema}.db" / table
        assert spark_dir.exists(), f"Spark wrote no table {schema}.{table}"
        comparisons.append(compare(con, table, f"duck.{schema}.{table}", spark_dir, per_build=per_build.get(table, ())))
    con.close()

    summary = {
        c.table: {
            "rows": c.duckdb_rows,
            "spark_rows": c.spark_rows,
            "columns": len(c.columns),
            "float_columns": c.float_columns,
            "mismatched_rows": c.mismatched_rows,
            "max_abs_difference": c.max_abs_difference,
            "max_rel_difference": c.max_rel_difference,
            "type_differences": {k: list(v) for k, v in c.type_differences.items()},
        }
        for c in comparisons
    }
    artifacts = PROJECT_ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "parity.json").write_text(json.dumps(summary, indent=2, default=str))

    different = [c.describe() for c in comparisons if not c.equal]
    assert not different, "\n\n".join(different)
    # The comparison compared something: the marts the embedded default fills are not empty.
    assert sum(c.duckdb_rows for c in comparisons) > 40_000


def test_state_of_care_figure_20_on_spark(spark_home):
    """London, June 2023: 5,196 patients waited over 12 hours from decision to admit (figure 20)."""
    settings = _settings_for(spark_home)
    mart = settings.spark_dir / "warehouse" / "marts.db" / "mart_uec_region_month"
    row = duckdb.sql(
        f"select dta_waits_over_12h, emergency_admissions_via_ae, round(pct_dta_over_12h) "
        f"from read_parquet('{mart}/*.parquet') where month_start = date '2023-06-01' and region_name = 'London'"
    ).fetchall()[0]
    assert row == (5196, 53243, 10)


# -------------------------------------------------------------------------------------------------
# History and revisions: a second load in which ratings changed and a month was revised, built again
# on both engines. Spark's snapshot takes the rewrite path here (dbt/macros/spark/snapshot.sql), and
# mart_revisions unpivots two vintages (the dialect macro unpivot_columns), which the first build
# of the embedded default leaves empty.

HISTORY_MODELS = "+fct_location_rating_history +mart_revisions"
JUNE_2025 = dt.datetime(2025, 6, 1, 6, 0, tzinfo=dt.timezone.utc)


def _build_spark_selection(home) -> None:
    # Only tests whose parents are all selected: others would read marts this selection does not build.
    args = f"--select {HISTORY_MODELS} --indirect-selection cautious"
    result = run_cli("build-spark", "--dbt-args", args, home=home, timeout=3600)
    assert result.returncode == 0, f"build-spark failed\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def second_load(spark_home):
    """The embedded default built on both engines (`spark_home`), then a June 2025 CQC capture (the
    Royal Oldham's overall rating Requires improvement -> Good, its maternity rating gone) and a
    revised June 2023 A&E file (R1K type 1 attendances +100), loaded and built on both engines again.

    In the same home, after the tests above compared its first build: the Spark snapshot's first
    run is the full build's, so the second load needs one more Spark build, not two."""
    home = spark_home
    with CqcLoopbackApi() as api:
        api.rerate_royal_oldham()
        settings = _settings_for(home).replace(source_urls={"cqc_api": api.base_url}, http_backoff_s=0.01)
        capture_to_landing(settings, now=JUNE_2025)
    revised = edited_vintage(
        uec_sample("June-2023"),
        home.parent / "Monthly-AE-June-2023-revised.csv",
        org_code="R1K",
        column="A&E attendances Type 1",
        delta=100,
    )
    run_cli("ingest", str(revised), home=home, check=True)
    result = run_cli("build", "--no-samples", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    _build_spark_selection(home)
    return home


def test_rating_history_and_revisions_are_the_same_on_duckdb_and_spark(second_load):
    settings = _settings_for(second_load)
    con = duckdb.connect()
    con.execute(f"attach '{settings.warehouse_db}' as duck (read_only)")
    try:
        for table in ("fct_location_rating_history", "mart_revisions"):
            comparison = compare(
                con,
                table,
                f"duck.marts.{table}",
                settings.spark_dir / "warehouse" / "marts.db" / table,
                per_build=_per_build_columns().get(table, ()),
            )
            assert comparison.equal, comparison.describe()
            assert comparison.duckdb_rows > 0
        spark_history = settings.spark_dir / "warehouse" / "marts.db" / "fct_location_rating_history"
        # What a user sees on Spark: the Royal Oldham's overall rating changed on 1 June 2025.
        assert con.execute(
            f"select rating, valid_from, valid_to, change from read_parquet('{spark_history}/*.parquet') "
            "where location_id = 'RM317' and service is null and key_question = 'Overall' and source = 'api' order by valid_from"
        ).fetchall() == [
            ("Requires improvement", dt.date(2025, 3, 20), dt.date(2025, 6, 1), "first seen"),
            ("Good", dt.date(2025, 6, 1), None, "changed"),
        ]
    finally:
        con.close()
