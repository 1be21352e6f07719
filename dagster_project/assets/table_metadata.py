"""What a materialisation says about the table it wrote: row count, columns with types and
descriptions, table name (Dagster's `dagster/row_count`, `dagster/column_schema`, `dagster/table_name`).

Read from the warehouse after the write, so the types are DuckDB's own and the count is the table's,
not a plan's. dagster-dbt's `fetch_row_counts()` / `fetch_column_metadata()` query through a dbt
adapter while dbt is still running; DuckDB lets one process hold its file, and that process is dbt's,
so the dbt op asks here once dbt has exited (assets/dbt.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from dagster_project.warehouse import scalar

# Owners by family (the Dagster group of a raw asset and of the dbt models under models/*/<family>):
# who is asked when a family's load fails or its marts look wrong. Shown in the asset catalog.
FAMILY_OWNERS: dict[str, list[str]] = {
    "uec": ["team:urgent-emergency-care"],
    "ratings": ["team:quality-ratings"],
    "carers": ["team:adult-social-care"],
    "workforce": ["team:workforce"],
    "mental_health": ["team:mental-health"],
}
PLATFORM_OWNERS = ["team:data-platform"]  # conformed dimensions, revisions, serving, reference data


def owners_of(family: str | None) -> list[str]:
    return FAMILY_OWNERS.get(family or "", PLATFORM_OWNERS)


# Rows of a mart shown on its materialisation (the asset page's "preview" table).
PREVIEW_ROWS = 10


def table_metadata(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    descriptions: Mapping[str, str] | None = None,
    preview_rows: int = 0,
) -> dict:
    """Row count, column schema and name of `schema.table` in the warehouse, and its first
    `preview_rows` rows as a table, or {} if it is not a table there (an ephemeral model, a test, a
    view that failed)."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    if not columns:
        return {}
    rows = scalar(con, f'select count(*) from "{schema}"."{table}"')
    descriptions = descriptions or {}
    # Dagster's documented table metadata keys (its TableMetadataSet is not exported from `dagster`).
    column_schema = TableSchema(
        columns=[TableColumn(name, data_type, description=descriptions.get(name)) for name, data_type in columns]
    )
    metadata = {
        "dagster/row_count": rows,
        "dagster/table_name": f"warehouse.{schema}.{table}",
        "dagster/column_schema": column_schema,
    }
    if preview_rows and rows:
        metadata["preview"] = table_preview(con, schema, table, column_schema, preview_rows)
    return metadata


def _cell(value):
    """A value as a table record holds it: text, number, boolean or empty (dates and decimals as text)."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def table_preview(con: duckdb.DuckDBPyConnection, schema: str, table: str, column_schema: TableSchema, limit: int):
    """The first rows of the table, as the asset page shows a table: any rows, not a sample of note
    (no ordering, so a large mart costs a scan of `limit` rows, not a sort)."""
    names = [c.name for c in column_schema.columns]
    rows = con.execute(f'select * from "{schema}"."{table}" limit {int(limit)}').fetchall()
    return MetadataValue.table(
        records=[TableRecord({name: _cell(value) for name, value in zip(names, row, strict=True)}) for row in rows],
        schema=column_schema,
    )
