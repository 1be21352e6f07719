"""The raw layer mirrored to Parquet (by source and period) holds exactly what DuckDB's raw tables hold.

Spark reads raw data from this mirror (make test-parity builds on it), so both engines see the same
raw rows only if every load, revision and empty table reaches it. These tests read the mirror with
DuckDB's own Parquet reader (Hive partitions), against the warehouse file itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import duckdb
import pytest

from dagster_project.ingest import parquet_mirror
from dagster_project.ingest.intake import intake
from dagster_project.resources import WarehouseResource
from dagster_project.settings import load_settings
from dagster_project.sources import SOURCES
from dagster_project.sources.uec import UEC_AE_MONTHLY
from dagster_project.warehouse import open_warehouse
from tests.conftest import uec_sample
from tests.support.vintages import edited_vintage

pytestmark = pytest.mark.slow

JUNE = "2023-06-01"
TWELVE_HOURS = "Patients who have waited 12+ hrs from DTA to admission"


def _mirror_sql(root, schema: str, table: str) -> str:
    return (
        f"read_parquet('{root}/{schema}/{table}/**/*.parquet', hive_partitioning = true, "
        f"hive_types_autocast = false, union_by_name = true)"
    )


def _differences(con, root, schema: str, table: str) -> tuple[int, int, int]:
    """(rows in DuckDB, rows only in DuckDB, rows only in the mirror), columns matched by name."""
    columns = [r[0] for r in con.execute(f"describe {schema}.{table}").fetchall()]
    listed = ", ".join(f'"{c}"' for c in columns)
    mirror = f"(select {listed} from {_mirror_sql(root, schema, table)})"
    duck = f"(select {listed} from {schema}.{table})"
    total = con.execute(f"select count(*) from {duck}").fetchone()[0]
    only_duck = con.execute(f"select count(*) from ({duck} except all {mirror})").fetchone()[0]
    only_mirror = con.execute(f"select count(*) from ({mirror} except all {duck})").fetchone()[0]
    return total, only_duck, only_mirror


def test_every_raw_and_history_table_is_mirrored_row_for_row(built_home):
    root = built_home / "parquet"
    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'raw_history') order by all"
        ).fetchall()
        assert len(tables) > 20
        compared = 0
        for schema, table in tables:
            if not (root / schema / table).is_dir():
                # A table nothing was ever loaded into (a source with no bundled file) reaches the
                # mirror at the next full sync, as its columns only (the last test below).
                assert con.execute(f"select count(*) from {schema}.{table}").fetchone()[0] == 0, (
                    f"{schema}.{table} is not mirrored"
                )
                continue
            total, only_duck, only_mirror = _differences(con, root, schema, table)
            assert (only_duck, only_mirror) == (0, 0), (
                f"{schema}.{table}: {only_duck} rows only in DuckDB, {only_mirror} only in Parquet"
            )
            compared += total
        assert compared > 100_000
        # The load history, which mart_revisions reads, is mirrored too.
        loads = con.execute("select count(*) from meta.partition_loads").fetchone()[0]
        assert duckdb.sql(f"select count(*) from read_parquet('{root}/meta/partition_loads/*.parquet')").fetchall()[0][0] == loads
    finally:
        con.close()


def test_partitions_are_folders_by_source_and_period(built_home):
    june = built_home / "parquet" / "raw" / "uec_ae_monthly" / "_source_key=uec_ae_monthly" / f"_period={JUNE}"
    files = list(june.glob("*.parquet"))
    assert len(files) == 1
    # Lineage lives in the folder names; the file holds the publisher's columns and the rest of lineage.
    file = f"read_parquet('{files[0]}', hive_partitioning = false)"
    columns = [r[0] for r in duckdb.sql(f"describe select * from {file}").fetchall()]
    assert "_period" not in columns and "_source_key" not in columns and "org_code" in columns
    assert duckdb.sql(f"select count(*) from {file}").fetchall()[0][0] == 204
    # Named for the vintage it holds.
    assert files[0].stem == duckdb.sql(f"select distinct _file_sha256 from {file}").fetchall()[0][0]


@pytest.fixture
def june(tmp_path, monkeypatch):
    monkeypatch.setenv("NHS_WAREHOUSE_HOME", str(tmp_path / "home"))
    settings = load_settings()
    settings.ensure_dirs()
    return settings


def _land_and_load(settings, path):
    resource = WarehouseResource(home=str(settings.home))
    assert intake(path, resource.store(), SOURCES.values()).status == "landed"
    with open_warehouse(settings.warehouse_db) as con:
        return resource.loader(UEC_AE_MONTHLY).load(con, JUNE)


def test_a_revision_replaces_the_mirrored_month_and_mirrors_the_vintage_it_replaced(june, tmp_path):
    assert _land_and_load(june, uec_sample("June-2023")).status == "loaded"
    revised = edited_vintage(
        uec_sample("June-2023"), tmp_path / "June-2023-revised.csv", org_code="RWY", column=TWELVE_HOURS, delta=5
    )
    outcome = _land_and_load(june, revised)
    assert outcome.status == "loaded", outcome.message
    root = june.parquet_dir
    current = duckdb.sql(
        f"select _period, dta_waits_over_12h from {_mirror_sql(root, 'raw', 'uec_ae_monthly')} where org_code = 'RWY'"
    ).fetchall()
    replaced = duckdb.sql(
        f"select _period, dta_waits_over_12h from {_mirror_sql(root, 'raw_history', 'uec_ae_monthly')} where org_code = 'RWY'"
    ).fetchall()
    assert (current, replaced) == ([(JUNE, 6)], [(JUNE, 1)])
    # One file per partition: the old vintage's file is gone from raw.
    assert len(list((root / "raw" / "uec_ae_monthly").glob("_source_key=*/_period=2023-06-01/*.parquet"))) == 1


def test_sync_repairs_a_damaged_mirror_and_then_has_nothing_to_write(june):
    assert _land_and_load(june, uec_sample("June-2023")).status == "loaded"
    root = june.parquet_dir
    lost = next((root / "raw" / "uec_ae_monthly").glob("_source_key=*/_period=2023-06-01/*.parquet"))
    os.remove(lost)
    with open_warehouse(june.warehouse_db, read_only=True) as con:
        repaired = parquet_mirror.sync(con, root)
        again = parquet_mirror.sync(con, root)
    assert str(lost.relative_to(root)) in repaired.written
    # Partitions already mirrored are not written again (schema files and the load log are tiny and always are).
    assert [w for w in again.written if "__schema__" not in w and not w.startswith("meta/")] == []
    assert lost.exists()


def test_a_table_with_nothing_loaded_has_its_columns_in_the_mirror(june):
    from dagster_project.ingest.load import ensure_raw_tables

    with open_warehouse(june.warehouse_db) as con:
        ensure_raw_tables(con, SOURCES.values())
        parquet_mirror.sync(con, june.parquet_dir)
        columns = {r[0] for r in con.execute("describe raw.nhs_vacancies").fetchall()}
    mirrored = {
        r[0] for r in duckdb.sql(f"describe select * from {_mirror_sql(june.parquet_dir, 'raw', 'nhs_vacancies')}").fetchall()
    }
    assert mirrored == columns
    assert duckdb.sql(f"select count(*) from {_mirror_sql(june.parquet_dir, 'raw', 'nhs_vacancies')}").fetchall()[0][0] == 0


# A writer killed mid-file leaves its hidden temporary file behind: neither engine reads it, but
# nothing else would ever remove it. The child runs the mirror's own writer on a query long enough
# to be caught mid-write.
MIRROR_WRITER = """
import sys
from pathlib import Path
import duckdb
from dagster_project.ingest import parquet_mirror
dest = Path(sys.argv[1])
query = "select i, i * 2 as j from range(10000000000) t(i)"
parquet_mirror._copy_to(duckdb.connect(), query, dest, parquet_mirror.MirrorResult(), dest.parent)
"""


def _temp_file_of(folder, name, writer):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert writer.poll() is None, "the writer ended before it was caught mid-write"
        if found := list(folder.glob(f".{name}.*.tmp")):
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no temporary file for {name} appeared in {folder}")


def test_a_killed_writers_temporary_file_is_swept_and_a_live_writers_is_left_alone(june):
    assert _land_and_load(june, uec_sample("June-2023")).status == "loaded"
    root = june.parquet_dir
    [folder] = (root / "raw" / "uec_ae_monthly").glob(f"_source_key=*/_period={JUNE}")
    writer = subprocess.Popen([sys.executable, "-c", MIRROR_WRITER, str(folder / "big.parquet")])
    try:
        tmp = _temp_file_of(folder, "big.parquet", writer)
        with open_warehouse(june.warehouse_db, read_only=True) as con:
            while_writing = parquet_mirror.sync(con, root)
        assert while_writing.swept == [] and tmp.exists()
    finally:
        writer.kill()
        writer.wait()
    with open_warehouse(june.warehouse_db, read_only=True) as con:
        after_kill = parquet_mirror.sync(con, root)
    assert after_kill.swept == [str(tmp.relative_to(root))]
    assert not tmp.exists() and not (folder / "big.parquet").exists()
    # The partition's own file is untouched, and the next sync has nothing to sweep.
    assert len(list(folder.glob("*.parquet"))) == 1
    with open_warehouse(june.warehouse_db, read_only=True) as con:
        assert parquet_mirror.sync(con, root).swept == []
