"""The warehouse DuckDB file: how to open it, and the bookkeeping tables the machinery keeps in it.

DuckDB lets one process write a file and locks every other process out, so writers open it through
`connect()`, which waits (with backoff) for a lock another writer holds instead of failing at once.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import duckdb

META_DDL = """
create schema if not exists raw;
create schema if not exists raw_history;
create schema if not exists meta;
create table if not exists meta.partition_loads (
    source_key varchar not null,
    period varchar not null,
    file_sha256 varchar not null,
    file_name varchar not null,
    row_count bigint not null,
    totals_row_count bigint,
    loaded_at timestamp not null,
    is_current boolean not null,
    superseded_at timestamp
);
create table if not exists meta.load_failures (
    source_key varchar not null,
    period varchar,
    file_sha256 varchar,
    file_name varchar,
    reason varchar not null,
    message varchar not null,
    row_number bigint,
    column_name varchar,
    failed_at timestamp not null
);
create table if not exists meta.dbt_node_builds (
    unique_id varchar primary key,   -- a dbt model or test (dbt/macros/changed_since.sql)
    started_at timestamp not null,   -- the last build in which it passed
    finished_at timestamp not null
);
create table if not exists meta.validation_results (
    source_key varchar not null,
    period varchar not null,
    file_sha256 varchar not null,
    suite varchar not null,
    expectation varchar not null,
    column_name varchar,
    success boolean not null,
    observed varchar,
    expected varchar,
    validated_at timestamp not null
);
"""


# DuckDB's connection options, typed as duckdb.connect declares them.
DuckDBConfig = dict[str, str | bool | int | float | list[str]]


def warehouse_config(settings=None) -> DuckDBConfig:
    """DuckDB's configuration for the warehouse file: its memory limit and threads from the settings.

    Every connection to the file in one process must use the same configuration (DuckDB refuses a
    second, differently configured one), including dagster-duckdb's DuckDBResource and dbt (its
    profile reads the same settings from the environment).
    """
    from dagster_project.settings import load_settings

    settings = settings or load_settings()
    return {
        "custom_user_agent": "nhs-warehouse",
        "memory_limit": settings.duckdb_memory_limit,
        "threads": str(settings.duckdb_threads),
    }


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).casefold()


def connect(
    path: Path, *, read_only: bool = False, timeout_s: float = 120.0, config: DuckDBConfig | None = None
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, waiting up to `timeout_s` for another process's lock to go away."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=warehouse_config() if config is None else dict(config))
        except duckdb.IOException as exc:
            if not is_lock_error(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


@contextlib.contextmanager
def open_warehouse(path: Path, *, read_only: bool = False, timeout_s: float = 120.0) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only, timeout_s=timeout_s)
    try:
        if not read_only:
            con.execute(META_DDL)
        yield con
    finally:
        con.close()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, _, table = qualified.rpartition(".")
    return bool(
        scalar(
            con,
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema or "main", table],
        )
    )


def single_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple[Any, ...]:
    """The row of a query that always returns one (an aggregate, a one-row table); an error if it returns none."""
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise LookupError(f"no row from: {sql}")
    return row


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    """The one value of a one-row, one-column query (a count, a version)."""
    return single_row(con, sql, params)[0]


@dataclass(frozen=True)
class LoadState:
    """What the warehouse holds, as its own bookkeeping says (not a Dagster instance, which may be new)."""

    # (source, period) -> sha256 of the vintage loaded and current
    vintages: dict[tuple[str, str], str] = field(default_factory=dict)
    # dbt nodes (models, seeds, tests) that have passed at least once (meta.dbt_node_builds)
    passed_nodes: frozenset[str] = frozenset()


def read_load_state(path: Path, *, timeout_s: float = 120.0) -> LoadState | None:
    """The loaded vintages and built dbt nodes; None when a writer held the file for `timeout_s`."""
    path = Path(path)
    if not path.exists():
        return LoadState()
    try:
        con = connect(path, read_only=True, timeout_s=timeout_s)
    except duckdb.IOException as exc:
        if is_lock_error(exc):
            return None
        raise
    try:
        vintages: dict[tuple[str, str], str] = {}
        passed: frozenset[str] = frozenset()
        if table_exists(con, "meta.partition_loads"):
            vintages = {
                (source, period): sha
                for source, period, sha in con.execute(
                    "select source_key, period, file_sha256 from meta.partition_loads where is_current"
                ).fetchall()
            }
        if table_exists(con, "meta.dbt_node_builds"):
            passed = frozenset(r[0] for r in con.execute("select unique_id from meta.dbt_node_builds").fetchall())
        return LoadState(vintages, passed)
    finally:
        con.close()
