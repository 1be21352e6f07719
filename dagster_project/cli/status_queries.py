"""The SQL `nhs-warehouse status` reads from the warehouse's meta schema (opened read-only)."""

from __future__ import annotations

from typing import Iterable

import duckdb

from dagster_project.ingest.load import table_name
from dagster_project.ingest.spec import SchemaOnly, SourceSpec
from dagster_project.warehouse import scalar, table_exists


def current_loads(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str, object]]:
    """Per source: partitions whose current vintage is loaded, the latest partition, the last load."""
    if not table_exists(con, "meta.partition_loads"):
        return {}
    rows = con.execute(
        "select source_key, count(*), max(period), max(loaded_at) from meta.partition_loads where is_current group by 1"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def failed_expectations(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[tuple]:
    """The latest failed expectations: source, partition, expectation, column, observed, when."""
    if not table_exists(con, "meta.validation_results"):
        return []
    return con.execute(
        "select source_key, period, expectation, column_name, observed, validated_at from meta.validation_results "
        "where not success order by validated_at desc limit ?",
        [limit],
    ).fetchall()


def schema_only_parts_with_rows(
    con: duckdb.DuckDBPyConnection, specs: Iterable[SourceSpec]
) -> list[tuple[SourceSpec, SchemaOnly, int]]:
    """The parts of layouts checked against a schema only (SourceSpec.schema_only) that hold rows."""
    found = []
    for spec in specs:
        for part in spec.schema_only:
            table = table_name(spec, part.table)
            if table_exists(con, table):
                rows = scalar(con, f"select count(*) from {table}")
                if rows:
                    found.append((spec, part, rows))
    return found
