"""Publish the marts for BI tools: Parquet per mart plus a read-only DuckDB file of views over them.

DuckDB locks a file against every other process while one writes, so BI tools never open the
warehouse file. Each publish writes its Parquet into a new version folder, builds
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
import json
import os
import shutil
import stat
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.settings import STORAGE_COMPATIBILITY_VERSION
from dagster_project.warehouse import quote_ident

VERSIONS_DIR = "versions"
CURRENT_FILE = "marts.duckdb"


@dataclass(frozen=True)
class PublishResult:
    version: str
    serving_db: Path
    tables: dict[str, int]  # mart name -> rows
    removed_versions: list[str]
    held_versions: list[str] = field(default_factory=list)  # past their grace, kept: a reader has them open


def _new_version() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish(con: duckdb.DuckDBPyConnection, marts: list[str], serving_dir: Path, grace_s: float = 3600.0) -> PublishResult:
    """Publish `marts` (qualified `schema.table` names in the warehouse `con`) into `serving_dir`."""
    serving_dir = Path(serving_dir)
    version = _new_version()
    version_dir = serving_dir / VERSIONS_DIR / version
    version_dir.mkdir(parents=True, exist_ok=False)
    tables: dict[str, int] = {}
    for qualified in marts:
        name = qualified.split(".")[-1]
        target = version_dir / f"{name}.parquet"
        con.execute(f"copy (select * from {qualified}) to {_quote_path(target)} (format parquet, compression zstd)")
        tables[name] = con.execute(f"select count(*) from {qualified}").fetchone()[0]
    manifest = {"version": version, "published_at": dt.datetime.now(dt.timezone.utc).isoformat(), "tables": tables}
    (version_dir / "_manifest.json").write_text(json.dumps(manifest, indent=2))

    tmp_db = serving_dir / f".{CURRENT_FILE}.{version}.tmp"
    serving = duckdb.connect(str(tmp_db), config={"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION})
    try:
        for name in tables:
            path = (version_dir / f"{name}.parquet").resolve()
            serving.execute(f"create view {quote_ident(name)} as select * from read_parquet({_quote_path(path)})")
        serving.execute(
            "create table _publication as select ? as version, cast(? as timestamp) as published_at, ? as tables",
            [version, manifest["published_at"][:26].replace("T", " "), json.dumps(tables)],
        )
        serving.execute("checkpoint")
    finally:
        serving.close()
    os.chmod(tmp_db, READ_ONLY_MODE)
    _link_into_version(tmp_db, version_dir / CURRENT_FILE)
    os.replace(tmp_db, serving_dir / CURRENT_FILE)
    removed, held = remove_old_versions(serving_dir, keep=version, grace_s=grace_s, report_held=True)
    return PublishResult(version, serving_dir / CURRENT_FILE, tables, removed, held)


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
    for older, newer in zip(versions, versions[1:]):
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
        return con.execute("select version from _publication").fetchone()[0]
    finally:
        con.close()
