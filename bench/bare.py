"""The baseline for the scale benchmark: bare DuckDB doing the same reads and SQL as the pipeline.

Given the extract files and a warehouse the pipeline built from them, it times, in a fresh DuckDB
file: reading every CSV into the same raw tables (`read_csv` over all files of a source, columns
renamed to the canonical names, the publisher's total row kept apart), running the SQL of every dbt
model and test exactly as dbt compiled it (in dependency order), and writing each published mart to
Parquet. What it leaves out is what the pipeline adds: the landing store, parsing in Python with
row-level errors, the Great Expectations gate, lineage and vintages, Dagster's runs and dbt's own
start-up. Seeds and the (empty) raw tables of the families not in the benchmark are copied from the
built warehouse before the clock starts.

    (used by bench/scale.py)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from dagster_project.settings import DBT_PROJECT_DIR
from dagster_project.sources import SOURCES
from dagster_project.warehouse import quote_ident

# The sources the benchmark generates: each one's period from its own columns. A run may read one of
# them; the other's raw tables are then copied from the built warehouse like any other source's.
PERIOD_SQL = {
    # MSitAE-JUNE-2023 -> 2023-06-01
    "uec_ae_monthly": "strftime(strptime(regexp_extract(period, '[A-Za-z]+-[0-9]{4}$'), '%B-%Y'), '%Y-%m-01')",
    # 2026-04-30 -> 2026-04-01
    "nhs_doctors_by_specialty": "strftime(date_trunc('month', cast(data_month as date)), '%Y-%m-%d')",
}
TOTAL_WHERE = {"uec_ae_monthly": "lower(trim(org_code)) = 'total'"}


def compile_dbt(warehouse_db: Path, target: Path) -> dict:
    """dbt's compiled SQL of every model and test, against the built warehouse (not timed)."""
    env = {**os.environ, "NHS_WAREHOUSE_DB": str(warehouse_db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        # --full-refresh: incremental models compile to their full build (bare DuckDB builds from nothing).
        [
            str(dbt),
            "compile",
            "--quiet",
            "--full-refresh",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    return json.loads((target / "manifest.json").read_text())


def _raw_select(source_key: str, files: list[Path], totals: bool | None) -> str:
    spec = SOURCES[source_key]
    listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    sample = duckdb.sql(f"select * from read_csv([{listing}], union_by_name = true, all_varchar = true) limit 0").columns
    by_spelling = {s: c for c in spec.columns for s in c.spellings}
    renames, present = [], set()
    for name in sample:
        column = by_spelling.get(name.replace("\ufeff", "").strip().casefold())
        if column is not None and column.name not in present:
            present.add(column.name)
            renames.append(
                f"try_cast(nullif(trim({quote_ident(name)}), '') as {column.duckdb_type}) as {column.name}"
                if column.kind != "text"
                else f"nullif(trim({quote_ident(name)}), '') as {column.name}"
            )
    missing = [f"cast(null as {c.duckdb_type}) as {c.name}" for c in spec.columns if c.name not in present]
    where = ""
    if source_key in TOTAL_WHERE:
        where = f"where {'' if totals else 'not '}({TOTAL_WHERE[source_key]})"
    return (
        f"select *, {PERIOD_SQL[source_key] if not totals else 'null'} as _period, '{source_key}' as _source_key, "
        f"filename as _file_name, '' as _file_sha256, now()::timestamp as _loaded_at, 0 as _row_number "
        f"from (select {', '.join(renames + missing)}, filename from read_csv([{listing}], union_by_name = true, "
        f"all_varchar = true, filename = true)) {where}"
    )


def bare_build(files_by_source: dict[str, list[Path]], built_db: Path, work: Path, published: list[str]) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    manifest = compile_dbt(built_db, work / "dbt-target")
    db = work / "warehouse.duckdb"  # the catalog name dbt compiled against
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute(f"attach '{built_db}' as built (read_only)")
    for schema, table in con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'built' "
        "and (schema_name in ('reference', 'meta', 'raw_history') or (schema_name = 'raw' and table_name not in "
        f"({', '.join(repr(s) for s in files_by_source)}, {', '.join(repr(s + '__totals') for s in files_by_source)})))"
    ).fetchall():
        con.execute(f"create schema if not exists {quote_ident(schema)}")
        con.execute(
            f"create table {quote_ident(schema)}.{quote_ident(table)} as select * from built.{quote_ident(schema)}.{quote_ident(table)}"
        )
    # Snapshots keep history across runs (dbt adds validity columns): copied, not recomputed.
    for node in manifest["nodes"].values():
        if node["resource_type"] == "snapshot":
            name = node.get("alias") or node["name"]
            con.execute(f"create schema if not exists {quote_ident(node['schema'])}")
            con.execute(
                f"create table {quote_ident(node['schema'])}.{quote_ident(name)} as "
                f"select * from built.{quote_ident(node['schema'])}.{quote_ident(name)}"
            )
    con.execute("detach built")
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] in ("model", "test")}
    order = TopologicalSorter({k: [d for d in v["depends_on"]["nodes"] if d in nodes] for k, v in nodes.items()}).static_order()

    timings: dict[str, float] = {}
    started = time.perf_counter()
    con.execute("create schema if not exists raw")
    for source_key, files in files_by_source.items():
        con.execute(f"create or replace table raw.{source_key} as {_raw_select(source_key, files, totals=False)}")
        if source_key in TOTAL_WHERE:
            con.execute(f"create or replace table raw.{source_key}__totals as {_raw_select(source_key, files, totals=True)}")
    timings["read extracts"] = time.perf_counter() - started
    step = time.perf_counter()
    tests = 0
    for key in order:
        node = nodes[key]
        sql = node["compiled_code"]
        if node["resource_type"] == "test":
            con.execute(f"select count(*) from ({sql})").fetchone()
            tests += 1
            continue
        relation = f'"{node["database"]}"."{node["schema"]}"."{node.get("alias") or node["name"]}"'
        con.execute(f"create schema if not exists {quote_ident(node['schema'])}")
        kind = "view" if node["config"].get("materialized") == "view" else "table"
        con.execute(f"create or replace {kind} {relation} as {sql}")
    timings["dbt models and tests SQL"] = time.perf_counter() - step
    step = time.perf_counter()
    (work / "parquet").mkdir(exist_ok=True)
    for qualified in published:
        con.execute(
            f"copy (select * from {qualified}) to '{work / 'parquet' / qualified}.parquet' (format parquet, compression zstd)"
        )
    timings["marts to Parquet"] = time.perf_counter() - step
    total = time.perf_counter() - started
    rows = {s: con.execute(f"select count(*) from raw.{s}").fetchone()[0] for s in files_by_source}
    con.close()
    return {"seconds": total, "steps": timings, "rows": rows, "tests": tests}
