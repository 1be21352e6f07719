"""Build and gate: timings measured in one run on the same files, reported as ratios.

1. Full build: `nhs-warehouse build` on the bundled samples into a fresh home, against bare DuckDB
   reading the same CSVs into one table (`read_csv` over all files): the pipeline's overhead.
2. Great Expectations on the largest raw table: the same expectations through GX's SQL path on
   DuckDB and through the pandas path (which first loads the table into memory).

Numbers go to stdout and to bench/results/latest.json; bench/README.md records a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from dagster_project.settings import EXPECTATIONS_DIR, SAMPLES_DIR

ROOT = Path(__file__).resolve().parent
CLI = Path(sys.executable).parent / "nhs-warehouse"

# Expectations GX supports on both paths (UnexpectedRowsExpectation is SQL-only), from the real suite.
SHARED_TYPES = {
    "expect_table_columns_to_match_set",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_between",
}
# (The suite's uniqueness, one-period-per-file and partition-set expectations are per-partition
# promises, so a whole-table run leaves them out.)


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def full_build(home: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_") and k != "DAGSTER_HOME"}
    env["NHS_WAREHOUSE_HOME"] = str(home)
    seconds, result = timed(lambda: subprocess.run([str(CLI), "build"], env=env, capture_output=True, text=True))
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stdout}\n{result.stderr}")
    return seconds


def bare_duckdb_read(files: list[Path]) -> tuple[float, int]:
    con = duckdb.connect()

    def read():
        listing = ", ".join(f"'{f}'" for f in files)
        con.execute(f"create or replace table ae as select * from read_csv([{listing}], union_by_name = true, filename = true)")
        return con.execute("select count(*) from ae").fetchone()[0]

    seconds, rows = timed(read)
    con.close()
    return seconds, rows


def gx_paths(warehouse_db: Path, work: Path, scale: int) -> dict:
    """Validate raw.uec_ae_monthly (repeated `scale` times) by GX's SQL path and pandas path."""
    from dagster_project.validation.gx_imports import import_gx

    gx = import_gx()  # as the gate imports it

    table_db = work / f"gx_bench_{scale}.duckdb"
    con = duckdb.connect(str(table_db))
    con.execute(f"attach '{warehouse_db}' as wh (read_only)")
    con.execute(f"create or replace table ae as select r.* from wh.raw.uec_ae_monthly r, range({scale})")
    rows = con.execute("select count(*) from ae").fetchone()[0]
    con.close()

    suite_json = json.loads((EXPECTATIONS_DIR / "uec_ae_monthly.json").read_text())
    expectations = [e for e in suite_json["expectations"] if e["type"] in SHARED_TYPES]
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    # No tqdm bar per metric: they buried the benchmark's own output (as the gate turns them off).
    quiet = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=quiet)

    def suite(name):
        return context.suites.add(gx.ExpectationSuite(name=name, expectations=[dict(e) for e in expectations]))

    sql_source = context.data_sources.add_sql(name="sql", connection_string=f"duckdb:///{table_db}")
    sql_batch = sql_source.add_table_asset(name="ae", table_name="ae").add_batch_definition_whole_table("all")
    sql_definition = context.validation_definitions.add(gx.ValidationDefinition(name="sql", data=sql_batch, suite=suite("s1")))
    sql_seconds, sql_result = timed(lambda: sql_definition.run())
    sql_source.get_execution_engine().close()
    sql_source.get_engine().dispose()

    def pandas_run():
        frame = duckdb.connect(str(table_db), read_only=True).execute("select * from ae").df()
        source = context.data_sources.add_pandas(name=f"pandas_{time.monotonic_ns()}")
        batch = source.add_dataframe_asset(name="ae").add_batch_definition_whole_dataframe("all")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"pandas_{time.monotonic_ns()}", data=batch, suite=suite(f"s{time.monotonic_ns()}"))
        )
        return definition.run(batch_parameters={"dataframe": frame})

    pandas_seconds, pandas_result = timed(pandas_run)
    return {
        "rows": rows,
        "expectations": len(expectations),
        "sql_path_s": round(sql_seconds, 3),
        "pandas_path_s": round(pandas_seconds, 3),
        "pandas_over_sql": round(pandas_seconds / sql_seconds, 2),
        "both_passed": bool(sql_result.success and pandas_result.success),
    }


def main(argv: list[str] | None = None) -> int:
    files = sorted((SAMPLES_DIR / "uec").glob("*.csv"))
    with tempfile.TemporaryDirectory(prefix="nhs-bench-") as tmp:
        work = Path(tmp)
        print(f"Full build of {len(files)} A&E files into a fresh home…", flush=True)
        build_s = full_build(work / "home")
        read_s, rows = bare_duckdb_read(files)
        print(f"  nhs-warehouse build: {build_s:.1f} s; bare DuckDB read_csv of the same files: {read_s:.3f} s ({rows:,} rows)")
        print(f"  pipeline / bare read: {build_s / read_s:,.0f}x")
        gx_results = []
        for scale in (1, 100):
            print(f"GX on raw.uec_ae_monthly x{scale}…", flush=True)
            result = gx_paths(work / "home" / "warehouse.duckdb", work, scale)
            gx_results.append(result)
            print(
                f"  {result['rows']:,} rows, {result['expectations']} expectations: SQL path {result['sql_path_s']} s, "
                f"pandas path {result['pandas_path_s']} s, pandas/SQL {result['pandas_over_sql']}x"
            )
    report = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "build": {
            "files": len(files),
            "rows": rows,
            "build_s": round(build_s, 1),
            "bare_read_s": round(read_s, 3),
            "build_over_bare_read": round(build_s / read_s),
        },
        "gx": gx_results,
    }
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "latest.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip duckdb's benign nanobind shutdown warnings (see cli.entrypoint)
