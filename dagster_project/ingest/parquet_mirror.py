"""Mirror the raw layer to Parquet, so another engine (Spark, through dbt-spark) reads the same raw data.

DuckDB stays the system of record: a partition is swapped into `raw.*` in one transaction first,
and only then copied here. The mirror is partitioned by source and period, Hive style:

    <root>/<schema>/<table>/_source_key=<source>/_period=<period>/<vintage sha256>.parquet
    <root>/<schema>/<table>/_source_key=<source>/_period=__schema__/schema.parquet    (no rows)
    <root>/meta/partition_loads/partition_loads.parquet

for the schemas `raw` (current vintages) and `raw_history` (the rows revisions replaced). The two
lineage columns live in the folder names, not in the files, as both engines expect of partition
columns. A data file is named for the vintage it holds (a history file for the current vintage that
replaced its rows), so `sync` knows what is mirrored already without reading anything. The
zero-row schema file gives a table that has nothing loaded yet its columns (no engine can infer a
schema from an empty folder) and carries the columns a newer spec added to older partitions.

Every file is written under a hidden name (`.<name>.<pid>.tmp`, which neither engine reads) and
renamed into place, so a reader never sees half a file. A writer holds a shared lock on the folder
while it writes; `sync` removes the temporary files of any folder whose lock it can take
exclusively, which are what a killed writer left (the kernel drops a dead process's locks).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.warehouse import quote_ident, table_exists

MIRRORED_SCHEMAS = ("raw", "raw_history")
SCHEMA_PARTITION = "__schema__"


@dataclass
class MirrorResult:
    written: list[str] = field(default_factory=list)  # files written, relative to the root
    removed: list[str] = field(default_factory=list)  # partitions removed (no longer in DuckDB)
    swept: list[str] = field(default_factory=list)  # temporary files a killed writer left


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def source_of(table: str) -> str:
    """A raw table's source: `uec_ae_monthly__totals` is a part of `uec_ae_monthly`."""
    return table.split("__", 1)[0]


def table_dir(root: Path, schema: str, table: str) -> Path:
    return Path(root) / schema / table


def partition_dir(root: Path, schema: str, table: str, source: str, period: str) -> Path:
    return table_dir(root, schema, table) / f"_source_key={source}" / f"_period={period}"


@contextmanager
def _folder_lock(folder: Path, how: int) -> Iterator[None]:
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, how)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _copy_to(con: duckdb.DuckDBPyConnection, query: str, dest: Path, result: MirrorResult, root: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    result.swept += [str(p.relative_to(root)) for p in _sweep_folder(dest.parent)]
    # DuckDB writes the file under a new inode, so the lock is on the folder, not on the file.
    with _folder_lock(dest.parent, fcntl.LOCK_SH):
        tmp = dest.parent / f".{dest.name}.{os.getpid()}.tmp"
        con.execute(f"copy ({query}) to {_literal(str(tmp))} (format parquet)")
        os.replace(tmp, dest)
    result.written.append(str(dest.relative_to(root)))


def _sweep_folder(folder: Path) -> list[Path]:
    """The temporary files in `folder`, removed unless a live writer is at work there."""
    try:
        with _folder_lock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB):
            removed = list(folder.glob(".*.tmp"))
            for tmp in removed:
                tmp.unlink(missing_ok=True)
            return removed
    except (BlockingIOError, FileNotFoundError):  # a writer at work, or the folder went
        return []


def sweep_temp_files(folder: Path) -> list[Path]:
    """Remove the temporary files anywhere under `folder` that no live writer is writing."""
    parents = sorted({tmp.parent for tmp in Path(folder).rglob(".*.tmp")})
    return [tmp for parent in parents for tmp in _sweep_folder(parent)]


def _mirrored_tables(con: duckdb.DuckDBPyConnection, source: str | None) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({', '.join(_literal(s) for s in MIRRORED_SCHEMAS)}) and table_type = 'BASE TABLE' "
        "order by table_schema, table_name"
    ).fetchall()
    return [(schema, table) for schema, table in rows if source is None or source_of(table) == source]


def _current_vintages(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    if not table_exists(con, "meta.partition_loads"):
        return {}
    return {
        (source, period): sha
        for source, period, sha in con.execute(
            "select source_key, period, file_sha256 from meta.partition_loads where is_current"
        ).fetchall()
    }


def _sync_table(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    schema: str,
    table: str,
    periods: list[str] | None,
    vintages: dict[tuple[str, str], str],
    result: MirrorResult,
) -> None:
    qualified = f"{quote_ident(schema)}.{quote_ident(table)}"
    data_columns = "* exclude (_source_key, _period)"
    # The table's columns, always current (a spec may have added some since the last load).
    _copy_to(
        con,
        f"select {data_columns} from {qualified} limit 0",
        partition_dir(root, schema, table, source_of(table), SCHEMA_PARTITION) / "schema.parquet",
        result,
        root,
    )
    # What DuckDB holds: (source, period) -> the vintage a file of that partition is named for.
    held: dict[tuple[str, str], str] = {}
    for source, period, sha in con.execute(
        f"select _source_key, _period, max(_file_sha256) from {qualified} group by all"
    ).fetchall():
        # raw: every row of a partition is the current vintage. raw_history: the partition's rows
        # change whenever a new vintage replaces the current one, so its file is named for that.
        held[(source, period)] = sha if schema == "raw" else vintages.get((source, period), sha)
    for (source, period), vintage in sorted(held.items()):
        if periods is not None and period not in periods:
            continue
        folder = partition_dir(root, schema, table, source, period)
        dest = folder / f"{vintage}.parquet"
        if not dest.exists():
            _copy_to(
                con,
                f"select {data_columns} from {qualified} where _source_key = {_literal(source)} and _period = {_literal(period)}",
                dest,
                result,
                root,
            )
        for stale in folder.glob("*.parquet"):
            if stale != dest:
                stale.unlink()
    # Partitions DuckDB no longer holds (none today: raw only replaces partitions) go too.
    if periods is None:
        for folder in table_dir(root, schema, table).glob("_source_key=*/_period=*"):
            source = folder.parent.name.split("=", 1)[1]
            period = folder.name.split("=", 1)[1]
            if period != SCHEMA_PARTITION and (source, period) not in held:
                shutil.rmtree(folder)
                result.removed.append(str(folder.relative_to(root)))


def sync(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    *,
    source: str | None = None,
    periods: list[str] | None = None,
) -> MirrorResult:
    """Bring the mirror up to date with DuckDB: every table, or one source's tables and periods.

    Idempotent and cheap when nothing changed (partitions already mirrored are not read). The
    loader calls it for the partition it swapped in; a Spark build calls it whole first, which also
    repairs a mirror a failed write left behind. A killed writer's temporary files go when their
    folder is next written, and from every table a whole sync covers.
    """
    root = Path(root)
    result = MirrorResult()
    vintages = _current_vintages(con)
    for schema, table in _mirrored_tables(con, source):
        if periods is None:  # a loader's sync sweeps only the folders it writes (in _copy_to)
            result.swept += [str(p.relative_to(root)) for p in sweep_temp_files(table_dir(root, schema, table))]
        _sync_table(con, root, schema, table, periods, vintages, result)
    if table_exists(con, "meta.partition_loads"):
        _copy_to(
            con,
            "select * from meta.partition_loads",
            root / "meta" / "partition_loads" / "partition_loads.parquet",
            result,
            root,
        )
    return result


def mirrored_tables(root: Path) -> list[tuple[str, str, Path]]:
    """(schema, table, folder) of every table in the mirror, for an engine to register."""
    root = Path(root)
    found = []
    for schema_dir in sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []:
        for folder in sorted(p for p in schema_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            found.append((schema_dir.name, folder.name, folder))
    return found
