"""DuckDB vs Spark: the same dbt project built on each engine at 1x, 10x and 100x the embedded default.

1. The embedded default is built once (`nhs-warehouse build`), or a built home is reused
   (BENCH_BUILT_HOME=/path/to/home).
2. For each scale k, a synthetic warehouse is made from it: every raw table with an organisation,
   location or provider column holds k copies of its rows, copy i's identifiers suffixed `-S<i>`
   (distinct trusts, sites and care homes, so joins and aggregates grow as real data would); the
   other tables (reference-like: councils, regions, publisher totals) stay at 1x. The scaled raw
   layer is written to Parquet by the same mirror the loader uses (ingest/parquet_mirror.py).
3. The dbt project is built on each engine from that raw layer: DuckDB (`dbt build`, target
   duckdb) and Spark (`nhs-warehouse build-spark` from the spark venv, dbt-spark in a local
   session). Tests are left out (`--exclude-resource-type test`): the copies are meant to break
   the reconciliations with the publishers' England totals, which stay 1x.

BENCH_SCALES (default 1,10,100) picks the scales; BENCH_SPARK_SCALES the ones Spark builds too
(default: all of them), as Spark at 100x takes far longer than DuckDB on a small machine.

Wall time of each build (process start, dbt parsing, the JVM for Spark) and dbt's own elapsed time
are reported, per scale. Numbers go to stdout and bench/results/spark_vs_duckdb.json; bench/README.md
records a run and what it means.
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

from dagster_project.ingest import parquet_mirror
from dagster_project.settings import DBT_PROJECT_DIR, PROJECT_ROOT

ROOT = Path(__file__).resolve().parent
CLI = Path(sys.executable).parent / "nhs-warehouse"
SPARK_CLI = PROJECT_ROOT / ".venv-spark" / "bin" / "nhs-warehouse"
DBT = Path(sys.executable).parent / "dbt"
SCALES = (1, 10, 100)
# Columns that name an organisation, site or service: copies get distinct ones.
IDENTIFIERS = ("org_code", "location_id", "provider_id")
# Seeds, models and the snapshot; not tests (see the module docstring).
BUILD_ARGS = ["--exclude-resource-type", "test"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_") and k != "DAGSTER_HOME"}
    return env | {"NHS_WAREHOUSE_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def built_home(work: Path) -> Path:
    reuse = os.environ.get("BENCH_BUILT_HOME")
    if reuse:
        return Path(reuse)
    home = work / "built"
    print("Building the embedded default on DuckDB (nhs-warehouse build)…", flush=True)
    result = subprocess.run([str(CLI), "build"], env=_env(home), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stdout}\n{result.stderr}")
    return home


def scaled_warehouse(source_db: Path, home: Path, scale: int) -> int:
    """A warehouse file whose raw layer is `scale` copies of the source's; returns its raw rows."""
    home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        con.execute(f"attach '{source_db}' as source (read_only)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'source' "
            "and schema_name in ('raw', 'raw_history', 'meta') order by all"
        ).fetchall()
        rows = 0
        for schema, table in tables:
            con.execute(f"create schema if not exists {schema}")
            columns = [r[0] for r in con.execute(f"describe source.{schema}.{table}").fetchall()]
            ids = [c for c in columns if c in IDENTIFIERS]
            if ids and scale > 1 and schema != "meta":
                replaced = ", ".join(f"case when copy.range = 0 then {c} else {c} || '-S' || copy.range end as {c}" for c in ids)
                select = f"select t.* replace ({replaced}) from source.{schema}.{table} as t, range({scale}) as copy"
            else:
                select = f"select * from source.{schema}.{table}"
            con.execute(f'create or replace table {schema}."{table}" as {select}')
            if schema == "raw":
                rows += con.execute(f'select count(*) from raw."{table}"').fetchone()[0]
        parquet_mirror.sync(con, home / "parquet")
        return rows
    finally:
        con.close()


def _dbt_elapsed(target_path: Path) -> float | None:
    try:
        return json.loads((target_path / "run_results.json").read_text())["elapsed_time"]
    except (OSError, KeyError, ValueError):
        return None


def build_duckdb(home: Path) -> dict:
    target = home / "dbt-target-duckdb"
    env = _env(home) | {"NHS_WAREHOUSE_DB": str(home / "warehouse.duckdb")}
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(DBT),
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target",
            "duckdb",
            "--target-path",
            str(target),
            "--log-path",
            str(home / "logs"),
            *BUILD_ARGS,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt build on DuckDB failed:\n{result.stdout[-4000:]}")
    return {"wall_s": round(wall, 1), "dbt_s": round(_dbt_elapsed(target) or 0, 1)}


def build_spark(home: Path) -> dict:
    started = time.perf_counter()
    result = subprocess.run(
        [str(SPARK_CLI), "build-spark", "--dbt-args", " ".join(BUILD_ARGS)],
        env=_env(home),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build-spark failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return {"wall_s": round(wall, 1), "dbt_s": round(_dbt_elapsed(home / "spark" / "dbt-target") or 0, 1)}


def main(argv: list[str] | None = None) -> int:
    if not SPARK_CLI.exists():
        print("skipped: the spark venv is missing (make install-spark)")
        return 0
    scales = [int(s) for s in os.environ.get("BENCH_SCALES", ",".join(map(str, SCALES))).split(",")]
    # Spark at 100x takes far longer than DuckDB on a small machine: BENCH_SPARK_SCALES=1,10 measures
    # DuckDB at every scale and Spark at those only.
    spark_scales = [int(s) for s in os.environ.get("BENCH_SPARK_SCALES", ",".join(map(str, scales))).split(",")]
    results = []
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nhs-bench-spark-") as tmp:
        work = Path(tmp)
        source = built_home(work) / "warehouse.duckdb"
        for scale in scales:
            home = work / f"x{scale}"
            rows = scaled_warehouse(source, home, scale)
            print(f"x{scale}: {rows:,} raw rows; dbt build on DuckDB…", flush=True)
            duck = build_duckdb(home)
            print(f"  DuckDB {duck['wall_s']} s wall ({duck['dbt_s']} s in dbt)", flush=True)
            if scale not in spark_scales:
                results.append({"scale": scale, "raw_rows": rows, "duckdb": duck, "spark": None})
                continue
            print("  dbt build on Spark…", flush=True)
            spark = build_spark(home)
            print(
                f"  Spark  {spark['wall_s']} s wall ({spark['dbt_s']} s in dbt): Spark/DuckDB {spark['wall_s'] / duck['wall_s']:.1f}x",
                flush=True,
            )
            results.append(
                {
                    "scale": scale,
                    "raw_rows": rows,
                    "duckdb": duck,
                    "spark": spark,
                    "spark_over_duckdb_wall": round(spark["wall_s"] / duck["wall_s"], 1),
                    "spark_over_duckdb_dbt": round(spark["dbt_s"] / max(duck["dbt_s"], 0.1), 1),
                }
            )
    report = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "cpus": os.cpu_count(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg()[0],
        "selection": "seeds, models, snapshot (dbt build " + " ".join(BUILD_ARGS) + ")",
        "results": results,
    }
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "spark_vs_duckdb.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
