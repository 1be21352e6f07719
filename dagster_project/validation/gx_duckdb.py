"""Make Great Expectations' SQL path work against DuckDB files. One of two GX adaptations (the other,
validation/gx_imports.py, defers two of its imports); `gx_imports.import_gx()` applies this one.

GX 1.x has no DuckDB data source; `add_sql("duckdb:///...")` (via duckdb-engine) reaches the table,
but every expectation then fails with `IndexError: list index out of range`: GX reads query results
after returning the connection to SQLAlchemy's pool, and DuckDB has dropped the result by then. GX
already keeps one persistent connection for SQLite, SQL Server, BigQuery and Databricks
(`_PERSISTED_CONNECTION_DIALECTS` in `great_expectations/execution_engine/sqlalchemy_execution_engine.py`);
treating DuckDB the same way makes every expectation work. Upstream-style report: "SQL datasource
on duckdb-engine: results read after connection release; add duckdb to
_PERSISTED_CONNECTION_DIALECTS". `tests/unit/test_gx_duckdb_patch.py` fails if GX changes this.
"""

from __future__ import annotations

_APPLIED = False


class _DuckDBDialect(str):
    """Compares equal to the dialect name "duckdb" and carries `.value`, as GX's dialect enum does."""

    value = "duckdb"


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    dialects = engine._PERSISTED_CONNECTION_DIALECTS
    if not isinstance(dialects, tuple):
        raise RuntimeError("GX changed _PERSISTED_CONNECTION_DIALECTS; revisit validation/gx_duckdb.py")
    if not any(getattr(d, "value", d) == "duckdb" for d in dialects):
        # GX leaves the tuple unannotated, so its inferred type is exactly its four enum members; adding a
        # fifth is the point of this patch.
        engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DuckDBDialect("duckdb"))  # type: ignore[assignment]
    _APPLIED = True
