"""Load a parsed extract into DuckDB: stage it for the gate, then swap it into `raw.*` atomically.

A partition load is two steps, so nothing unvalidated is ever visible downstream:
1. `stage()` writes the candidate rows (with lineage columns) of one or more partitions to a
   pending DuckDB file of their own, which the validation gate reads without touching the warehouse
   file. Every partition of a run is staged together, so the gate validates them in one pass.
2. `swap_in()` replaces partitions in `raw.<source>` (and its totals table) in one transaction,
   moving the rows it replaces to `raw_history.*` and recording the vintage in `meta.partition_loads`.
   A crash midway leaves the previous rows, never a mix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd

from dagster_project.ingest.landing import LandedFile
from dagster_project.ingest.columns import Column
from dagster_project.ingest.spec import SourceSpec
from dagster_project.warehouse import connect, quote_ident, table_exists

LINEAGE_COLUMNS = (
    ("_source_key", "VARCHAR"),
    ("_period", "VARCHAR"),
    ("_file_name", "VARCHAR"),
    ("_file_sha256", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
    ("_row_number", "BIGINT"),
)
# What each lineage column says, for the asset catalog's column schema (assets/raw.py).
LINEAGE_DESCRIPTIONS = {
    "_source_key": "The source (SourceSpec key) the row was loaded for.",
    "_period": "The partition the row belongs to (e.g. the month start 2023-06-01).",
    "_file_name": "The publisher's file name the row was read from.",
    "_file_sha256": "sha256 of that file, as kept in the landing store.",
    "_loaded_at": "When the row's vintage was swapped into the raw table (UTC).",
    "_row_number": "The row's line in the file (1 = first data row), for finding it by hand.",
}


@dataclass(frozen=True)
class StagedPart:
    """One partition's candidate rows in a pending file: its period, its file, its row counts."""

    period: str
    landed: LandedFile
    row_counts: dict[str, int]  # table suffix -> rows


@dataclass(frozen=True)
class StagedLoad:
    """Partitions of one source staged together in `pending_db` (each row carries its `_period`)."""

    spec: SourceSpec
    pending_db: Path
    parts: tuple[StagedPart, ...]
    loaded_at: dt.datetime

    @property
    def periods(self) -> list[str]:
        return [part.period for part in self.parts]

    @property
    def files(self) -> list[str]:
        """The sha256 of every staged file, in staging order."""
        return list(dict.fromkeys(part.landed.sha256 for part in self.parts))

    def periods_of(self, sha256: str) -> list[str]:
        return [part.period for part in self.parts if part.landed.sha256 == sha256]

    def part(self, period: str | None = None) -> StagedPart:
        if period is None:
            if len(self.parts) != 1:
                raise ValueError(f"{len(self.parts)} partitions are staged: name one")
            return self.parts[0]
        return next(p for p in self.parts if p.period == period)

    # The one staged partition, for loads that stage one.
    @property
    def period(self) -> str:
        return self.part().period

    @property
    def landed(self) -> LandedFile:
        return self.part().landed

    @property
    def row_counts(self) -> dict[str, int]:
        return self.part().row_counts

    def pending_table(self, suffix: str = "") -> str:
        return table_name(self.spec, suffix).split(".", 1)[1]


def table_name(spec: SourceSpec, suffix: str = "") -> str:
    return f"raw.{spec.key}__{suffix}" if suffix else f"raw.{spec.key}"


def _ddl_columns(columns: tuple[Column, ...]) -> list[tuple[str, str]]:
    return [(c.name, c.duckdb_type) for c in columns] + list(LINEAGE_COLUMNS)


def ensure_table(con: duckdb.DuckDBPyConnection, qualified: str, columns: list[tuple[str, str]]) -> None:
    """Create the table, or add columns a newer spec knows and the table lacks (never drop any)."""
    schema, table = qualified.split(".", 1)
    con.execute(f"create schema if not exists {quote_ident(schema)}")
    target = f"{quote_ident(schema)}.{quote_ident(table)}"
    if not table_exists(con, qualified):
        body = ", ".join(f"{quote_ident(n)} {t}" for n, t in columns)
        con.execute(f"create table {target} ({body})")
        return
    have = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }
    for name, type_ in columns:
        if name not in have:
            con.execute(f"alter table {target} add column {quote_ident(name)} {type_}")


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, specs) -> list[str]:
    """Create, empty, every raw table a registered source has not loaded yet; returns their names.

    dbt reads each source's raw tables; a publication with no file landed yet (or none bundled,
    such as a survey whose parser is tested on constructed files) must read as empty, not missing.
    """
    created = []
    for spec in specs:
        for suffix, columns in spec.table_columns().items():
            name = table_name(spec, suffix)
            if not table_exists(con, name):
                ensure_table(con, name, _ddl_columns(columns))
                created.append(name)
    return created


def stage(
    spec: SourceSpec,
    period: str,
    landed: LandedFile,
    frames: dict[str, pd.DataFrame],
    pending_dir: Path,
    loaded_at: dt.datetime | None = None,
) -> StagedLoad:
    """Write one partition's candidate rows into `pending_dir/<source>.duckdb`, replacing what was there."""
    return stage_many(spec, [(period, landed, frames)], pending_dir, loaded_at)


def stage_many(
    spec: SourceSpec,
    parts: Iterable[tuple[str | list[str], LandedFile, dict[str, pd.DataFrame]]],
    pending_dir: Path,
    loaded_at: dt.datetime | None = None,
) -> StagedLoad:
    """Write partitions' candidate rows into `pending_dir/<source>.duckdb` together, replacing what was
    there. Each item is (period or periods, file, frames): the frames hold a `_period` column, and
    only the rows of the periods named are staged, so a file covering many periods (an AmbSYS
    release holds every month since 2017) is written in one statement per table, not one per period.
    `parts` may be a generator: each file is written as it comes, so a caller that parses one file at
    a time never holds a run's rows in memory."""
    loaded_at = loaded_at or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    pending_db = Path(pending_dir) / f"{spec.key}.duckdb"
    pending_db.parent.mkdir(parents=True, exist_ok=True)
    staged: list[StagedPart] = []
    con = connect(pending_db)
    try:
        for suffix, columns in spec.table_columns().items():
            name = table_name(spec, suffix).split(".", 1)[1]
            con.execute(f"drop table if exists {quote_ident(name)}")
            ensure_table(con, f"main.{name}", _ddl_columns(columns))
        for period, landed, frames in parts:
            periods = [period] if isinstance(period, str) else list(period)
            counts: dict[str, dict[str, int]] = {p: {} for p in periods}
            for suffix, columns in spec.table_columns().items():
                frame = frames.get(suffix)
                if frame is None:
                    frame = pd.DataFrame(columns=["_row_number", "_period", *[c.name for c in columns]])
                name = table_name(spec, suffix).split(".", 1)[1]
                con.register("incoming_frame", frame)
                select = ", ".join(
                    [f"cast(incoming_frame.{quote_ident(c.name)} as {c.duckdb_type}) as {quote_ident(c.name)}" for c in columns]
                    + [
                        "? as _source_key",
                        "cast(incoming_frame._period as varchar) as _period",
                        "? as _file_name",
                        "? as _file_sha256",
                        "cast(? as timestamp) as _loaded_at",
                        "cast(incoming_frame._row_number as bigint) as _row_number",
                    ]
                )
                con.execute(
                    f"insert into {quote_ident(name)} by name select {select} from incoming_frame "
                    "where list_contains(?, cast(incoming_frame._period as varchar))",
                    [spec.key, landed.original_name, landed.sha256, loaded_at, periods],
                )
                con.unregister("incoming_frame")
                per_period = frame["_period"].astype(str).value_counts() if len(frame) else {}
                for p in periods:
                    counts[p][suffix] = int(per_period.get(p, 0))
            staged.extend(StagedPart(p, landed, counts[p]) for p in periods)
    finally:
        con.close()
    return StagedLoad(spec, pending_db, tuple(staged), loaded_at)


def current_vintage(con: duckdb.DuckDBPyConnection, source: str, period: str) -> str | None:
    row = con.execute(
        "select file_sha256 from meta.partition_loads where source_key = ? and period = ? and is_current",
        [source, period],
    ).fetchone()
    return row[0] if row else None


def swap_in(con: duckdb.DuckDBPyConnection, staged: StagedLoad, periods: str | list[str] | None = None) -> None:
    """Replace staged partitions in raw.* with their staged rows, all in one transaction (history kept).

    One statement per table for all the periods, not one per period: a file that holds a whole time
    series (AmbSYS re-publishes every month since 2017 in each release) swaps in as one change."""
    spec = staged.spec
    if periods is None or isinstance(periods, str):
        parts = [staged.part(periods)]
    else:
        parts = [staged.part(period) for period in periods]
    chosen = [part.period for part in parts]
    con.execute(f"attach '{staged.pending_db}' as pending (read_only)")
    try:
        con.execute("begin transaction")
        try:
            for suffix, columns in spec.table_columns().items():
                target = table_name(spec, suffix)
                history = target.replace("raw.", "raw_history.", 1)
                ddl = _ddl_columns(columns)
                ensure_table(con, target, ddl)
                ensure_table(con, history, ddl)
                con.execute(f"insert into {history} by name select * from {target} where list_contains(?, _period)", [chosen])
                con.execute(f"delete from {target} where list_contains(?, _period)", [chosen])
                con.execute(
                    f"insert into {target} by name select * from pending.main.{quote_ident(staged.pending_table(suffix))} "
                    "where list_contains(?, _period)",
                    [chosen],
                )
            con.execute(
                "update meta.partition_loads set is_current = false, superseded_at = ? "
                "where source_key = ? and list_contains(?, period) and is_current",
                [staged.loaded_at, spec.key, chosen],
            )
            con.executemany(
                "insert into meta.partition_loads values (?, ?, ?, ?, ?, ?, ?, true, null)",
                [
                    [
                        spec.key,
                        part.period,
                        part.landed.sha256,
                        part.landed.original_name,
                        part.row_counts.get("", 0),
                        part.row_counts.get("totals"),
                        staged.loaded_at,
                    ]
                    for part in parts
                ],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.execute("detach pending")
