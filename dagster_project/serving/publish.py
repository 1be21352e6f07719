"""Publish the marts for BI tools: Parquet per mart plus a read-only DuckDB file of views over them.

DuckDB locks a file against every other process while one writes, so BI tools never open the
warehouse file. Each publish makes a new version folder of Parquet (one file per mart, or per month
for the fact tables that grow by month; a file whose rows the previous version already holds is
hard-linked from it, so a new month costs one month's file, not the history's), builds
`serving/marts.duckdb` (views over that version) under a temporary name, and renames it into place,
so a reader sees the old state or the new one, never a mix, and never a lock. A reader that opened
the previous `marts.duckdb` keeps a whole state: its Parquet files are never rewritten, and an old
version is removed only after a grace period *and* once no process holds its `marts.duckdb` open.

How a reader holding the old file is protected: on POSIX, the rename leaves the old file's inode
alive for every process that has it open, but the inode alone is not enough, because its views read
Parquet in the version folder. So each version folder keeps a hard link to its own `marts.duckdb`
(the same inode readers opened), and DuckDB takes a shared `fcntl` lock on a file it opens
read-only; cleanup asks the kernel whether anyone holds a lock on that inode before removing a
version (tests/integration/test_serving_publish.py: a reader keeps its publication through
publishes with a zero grace period; tests/behaviour/test_concurrent_readers.py: the same under
`nhs-warehouse build`).

The serving file is written with DuckDB 1.4's storage format, which BI drivers still bundle, and
made read-only on disk: a client that opened it read-write could leave a `marts.duckdb.wal` beside
it, which DuckDB would then try to replay into the next published file.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import time
from collections.abc import Mapping
from itertools import pairwise
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.settings import STORAGE_COMPATIBILITY_VERSION
from dagster_project.warehouse import quote_ident, scalar, single_row

VERSIONS_DIR = "versions"
CURRENT_FILE = "marts.duckdb"


@dataclass(frozen=True)
class PublishResult:
    version: str
    serving_db: Path
    tables: dict[str, int]  # mart name -> rows
    removed_versions: list[str]
    held_versions: list[str] = field(default_factory=list)  # past their grace, kept: a reader has them open
    files_written: int = 0
    files_linked: int = 0  # unchanged since the previous publication: hard-linked, not written


def _new_version() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@dataclass(frozen=True)
class Description:
    """What a mart's YAML says of it and of its columns: written as comments on its serving view."""

    table: str
    columns: Mapping[str, str]


PUBLICATION_DESCRIPTION = Description(
    "This snapshot: which publication of the marts the views read.",
    {
        "version": "The publication's version (its folder under serving/versions/, a UTC timestamp).",
        "published_at": "When it was published (UTC).",
        "tables": "Rows per mart in this publication, as JSON.",
    },
)


def publish(
    con: duckdb.DuckDBPyConnection,
    marts: list[str],
    serving_dir: Path,
    grace_s: float = 3600.0,
    partition_by: Mapping[str, str] | None = None,
    descriptions: Mapping[str, Description] | None = None,
) -> PublishResult:
    """Publish `marts` (qualified `schema.table` names in the warehouse `con`) into `serving_dir`.

    A mart named in `partition_by` (qualified name -> column) is published as a folder of one Parquet
    file per value of that column (`<mart>/part-<value>.parquet`), any other as `<mart>.parquet`.
    A file whose rows are what the previous version already holds (same schema, row count and sum
    of row hashes) is hard-linked from it rather than written again, so adding a month to a
    fact table writes that month's file, not the whole history.
    """
    serving_dir = Path(serving_dir)
    partition_by = dict(partition_by or {})
    version = _new_version()
    version_dir = serving_dir / VERSIONS_DIR / version
    version_dir.mkdir(parents=True, exist_ok=False)
    previous = _previous_manifest(serving_dir, version)
    tables: dict[str, int] = {}
    schemas: dict[str, list[list[str]]] = {}
    files: dict[str, str] = {}  # file relative to the version folder -> fingerprint
    written, linked = 0, 0
    for qualified in marts:
        name = qualified.split(".")[-1]
        schemas[name] = [
            [c, t] for c, t in con.execute(f"select column_name, column_type from (describe {qualified})").fetchall()
        ]
        # The previous version, when this mart's schema is unchanged: its files may be linked, not written.
        reusable = previous if previous is not None and previous.get("schemas", {}).get(name) == schemas[name] else None
        tables[name] = 0
        for relative, where, rows, fingerprint in _parts(con, qualified, name, partition_by.get(qualified)):
            tables[name] += rows
            files[relative] = fingerprint
            target = version_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if (
                reusable is not None
                and reusable["files"].get(relative) == fingerprint
                and _link(reusable["dir"] / relative, target)
            ):
                linked += 1
                continue
            con.execute(
                f"copy (select * from {qualified} where {where}) to {_quote_path(target)} (format parquet, compression zstd)"
            )
            written += 1
    published_at = dt.datetime.now(dt.timezone.utc).isoformat()
    manifest = {
        "version": version,
        "published_at": published_at,
        "tables": tables,
        "partition_by": {q.split(".")[-1]: c for q, c in partition_by.items()},
        "schemas": schemas,
        "files": files,
    }
    (version_dir / "_manifest.json").write_text(json.dumps(manifest, indent=2))

    tmp_db = serving_dir / f".{CURRENT_FILE}.{version}.tmp"
    serving = duckdb.connect(str(tmp_db), config={"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION})
    try:
        for qualified in marts:
            name = qualified.split(".")[-1]
            path = version_dir.resolve() / (f"{name}/*.parquet" if qualified in partition_by else f"{name}.parquet")
            serving.execute(f"create view {quote_ident(name)} as select * from read_parquet({_quote_path(path)})")
            _comment(serving, name, (descriptions or {}).get(qualified))
        serving.execute(
            "create table _publication as select ? as version, cast(? as timestamp) as published_at, ? as tables",
            [version, published_at[:26].replace("T", " "), json.dumps(tables)],
        )
        _comment(serving, "_publication", PUBLICATION_DESCRIPTION, kind="table")
        serving.execute("checkpoint")
    finally:
        serving.close()
    os.chmod(tmp_db, READ_ONLY_MODE)
    _link_into_version(tmp_db, version_dir / CURRENT_FILE)
    os.replace(tmp_db, serving_dir / CURRENT_FILE)
    removed, held = remove_old_versions(serving_dir, keep=version, grace_s=grace_s, report_held=True)
    return PublishResult(version, serving_dir / CURRENT_FILE, tables, removed, held, written, linked)


def _comment(serving: duckdb.DuckDBPyConnection, view: str, description: Description | None, kind: str = "view") -> None:
    """COMMENT ON the view and each described column, so BI tools and `duckdb` show the YAML's words."""
    if description is None:
        return
    if description.table:
        serving.execute(f"comment on {kind} {quote_ident(view)} is {_quote_text(description.table)}")
    columns = {c for (c,) in serving.execute(f"select column_name from (describe {quote_ident(view)})").fetchall()}
    for column, text in description.columns.items():
        if text and column in columns:
            serving.execute(f"comment on column {quote_ident(view)}.{quote_ident(column)} is {_quote_text(text)}")


def _quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parts(con: duckdb.DuckDBPyConnection, qualified: str, name: str, column: str | None):
    """(file relative to the version folder, its rows' predicate, row count, fingerprint) per file.

    The fingerprint is the row count and the sum of the rows' hashes: any changed, added or removed
    row changes it. One pass over the mart, far cheaper than writing it."""
    if column is None:
        rows, total = single_row(con, f"select count(*), coalesce(sum(hash(t)), 0) from {qualified} as t")
        yield f"{name}.parquet", "true", rows, f"{rows}:{total}"
        return
    groups = con.execute(
        f"select cast({quote_ident(column)} as varchar), count(*), sum(hash(t)) from {qualified} as t group by 1 order by 1"
    ).fetchall()
    if not groups:
        # An empty mart still needs one file, so its view has the mart's columns.
        yield f"{name}/part-empty.parquet", "false", 0, "0:0"
        return
    for value, rows, total in groups:
        if value is None:
            where, label = f"{quote_ident(column)} is null", "null"
        else:
            where = f"cast({quote_ident(column)} as varchar) = '{value.replace(chr(39), chr(39) * 2)}'"
            label = (
                value
                if SAFE_PART.fullmatch(value)
                else f"{SAFE_CHARS.sub('_', value)}-{hashlib.sha256(value.encode()).hexdigest()[:12]}"
            )
        yield f"{name}/part-{label}.parquet", where, rows, f"{rows}:{total}"


# A partition value used as it is in a file name; others are made safe and given a hash (NULL is
# `null`, which no date or number spells).
SAFE_PART = re.compile(r"[0-9][0-9A-Za-z._-]*")
SAFE_CHARS = re.compile(r"[^0-9A-Za-z._-]")


def _previous_manifest(serving_dir: Path, version: str) -> dict | None:
    """The newest earlier version's manifest, with its folder, when it records its files' fingerprints.

    Found on disk, not by opening the serving DB (this process may hold it open with another
    configuration, and closing a probe would drop this process's locks on it). Any version with a
    manifest will do, published or not: the manifest is written after every file is whole, and a
    file's name and fingerprint say what it holds."""
    root = Path(serving_dir) / VERSIONS_DIR
    for folder in sorted((p for p in root.iterdir() if p.is_dir() and p.name < version), reverse=True):
        try:
            manifest = json.loads((folder / "_manifest.json").read_text())
        except (FileNotFoundError, ValueError):
            continue  # a publish that stopped before its manifest
        return manifest | {"dir": folder} if "files" in manifest and "schemas" in manifest else None
    return None


def _link(src: Path, dest: Path) -> bool:
    """Give the new version its own name for a file the previous one holds (never rewritten, so
    sharing its inode is safe); False when the file is gone or links are unsupported (then written)."""
    try:
        os.link(src, dest)
    except OSError:
        return False
    return True


READ_ONLY_MODE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


def _link_into_version(db: Path, link: Path) -> None:
    # The version folder's own name for the inode readers will open; cleanup checks its lock.
    try:
        os.link(db, link)
    except OSError:
        pass  # a filesystem without hard links: cleanup falls back to the grace period alone


def is_held_open(db: Path) -> bool:
    """Whether any process holds a DuckDB lock on `db` (every DuckDB connection to a file holds one).

    Asks the kernel with an open-file-description lock query (F_OFD_GETLK), which reports DuckDB's
    ordinary POSIX locks, including this process's own, and acquires nothing. Closing the probe's
    descriptor drops POSIX locks this process holds on the file (a POSIX rule): a process that both
    publishes and reads an old version keeps reading it, but a later cleanup by another process no
    longer sees that version as held. The CLI and Dagster publish from processes that read no
    serving version.
    """
    try:
        fd = os.open(db, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        command = getattr(fcntl, "F_OFD_GETLK", fcntl.F_GETLK)  # F_OFD_* is Linux's; F_GETLK sees other processes
        lock_type = struct.unpack("hhqqi", fcntl.fcntl(fd, command, query))[0]
        return lock_type != fcntl.F_UNLCK
    finally:
        os.close(fd)


def remove_old_versions(serving_dir: Path, keep: str, grace_s: float, report_held: bool = False):
    """Remove versions superseded more than `grace_s` ago (by the time the next one was published)
    that no process has open. Returns the removed versions (and, with `report_held`, those kept
    because a reader still holds them)."""
    root = Path(serving_dir) / VERSIONS_DIR
    versions = sorted(p.name for p in root.iterdir() if p.is_dir())
    removed, held = [], []
    now = time.time()
    for older, newer in pairwise(versions):
        if older == keep:
            continue
        superseded_at = (root / newer).stat().st_mtime
        if now - superseded_at <= grace_s:
            continue
        if is_held_open(root / older / CURRENT_FILE):
            held.append(older)
            continue
        shutil.rmtree(root / older, ignore_errors=True)
        removed.append(older)
    for stale in Path(serving_dir).glob(f".{CURRENT_FILE}.*.tmp*"):
        # A publish that crashed before its rename (and its WAL); nobody can have opened it.
        if now - stale.stat().st_mtime > grace_s:
            stale.unlink(missing_ok=True)
    return (removed, held) if report_held else removed


def current_version(serving_dir: Path) -> str | None:
    db = Path(serving_dir) / CURRENT_FILE
    if not db.exists():
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        return scalar(con, "select version from _publication")
    finally:
        con.close()
