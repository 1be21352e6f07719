"""publish() on a small real warehouse file: what a reader holding an old serving file keeps, when
old versions go, and what the published file looks like on disk. (The same guarantees under a real
`nhs-warehouse build` are in tests/behaviour/test_concurrent_readers.py.)"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import duckdb
import pytest

from dagster_project.serving.publish import CURRENT_FILE, VERSIONS_DIR, is_held_open, publish

READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select version from _publication").fetchone()[0], flush=True)
for line in sys.stdin:  # one query per line received, until stdin closes
    try:
        print(con.execute("select count(*), max(n) from mart_numbers").fetchone(), flush=True)
    except Exception as exc:
        print("ERROR", exc, flush=True)
"""


@pytest.fixture
def warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema marts; create table marts.mart_numbers as select range as n from range(10)")
    yield con
    con.close()


def _add_rows(con, count):
    con.execute(f"insert into marts.mart_numbers select 1000 + range from range({count})")


@pytest.fixture
def reader():
    procs = []

    def start(db):
        proc = subprocess.Popen([sys.executable, "-c", READER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        version = proc.stdout.readline().strip()

        def ask() -> str:
            proc.stdin.write("q\n")
            proc.stdin.flush()
            return proc.stdout.readline().strip()

        def close() -> None:
            proc.stdin.close()
            proc.wait(timeout=30)

        return version, ask, close

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_reader_holding_the_old_file_keeps_its_whole_publication_past_the_grace_period(warehouse, tmp_path, reader):
    serving = tmp_path / "serving"
    first = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=0)
    version, ask, close = reader(serving / CURRENT_FILE)
    assert version == first.version and ask() == "(10, 9)"

    _add_rows(warehouse, 5)
    second = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=0)
    time.sleep(0.01)
    third = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=0)
    # The first version is past its (zero) grace period but the reader has it open: kept.
    assert first.version in second.held_versions + third.held_versions
    assert (serving / VERSIONS_DIR / first.version).is_dir()
    assert second.version in third.removed_versions  # nobody had that one open
    assert ask() == "(10, 9)"  # the old publication, whole, after the rename and two cleanups

    close()
    fourth = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=0)
    assert first.version in fourth.removed_versions
    assert sorted(p.name for p in (serving / VERSIONS_DIR).iterdir()) == [fourth.version]
    con = duckdb.connect(str(serving / CURRENT_FILE), read_only=True)
    try:
        assert con.execute("select count(*), max(n) from mart_numbers").fetchone() == (15, 1004)
    finally:
        con.close()


def test_versions_within_their_grace_period_stay_whoever_holds_them(warehouse, tmp_path):
    serving = tmp_path / "serving"
    first = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=3600)
    second = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=3600)
    assert second.removed_versions == [] and second.held_versions == []
    assert (serving / VERSIONS_DIR / first.version).is_dir()


def test_the_serving_file_is_read_only_on_disk_and_linked_from_its_version(warehouse, tmp_path):
    serving = tmp_path / "serving"
    result = publish(warehouse, ["marts.mart_numbers"], serving)
    current = serving / CURRENT_FILE
    linked = serving / VERSIONS_DIR / result.version / CURRENT_FILE
    assert os.stat(current).st_ino == os.stat(linked).st_ino
    assert stat.S_IMODE(os.stat(current).st_mode) & 0o222 == 0
    assert not is_held_open(current)
    con = duckdb.connect(str(current), read_only=True)
    try:
        assert is_held_open(linked)  # this process's own connection counts too
    finally:
        con.close()
    assert not is_held_open(linked)
    assert not list(serving.glob(".*.tmp*"))


def test_a_crashed_publish_leaves_no_file_a_reader_could_open(warehouse, tmp_path):
    serving = tmp_path / "serving"
    serving.mkdir()
    stale = serving / f".{CURRENT_FILE}.20200101T000000000000Z.tmp"
    stale.write_bytes(b"half a file")
    (serving / f"{stale.name}.wal").write_bytes(b"")
    old = time.time() - 7200
    for path in serving.iterdir():
        os.utime(path, (old, old))
    publish(warehouse, ["marts.mart_numbers"], serving, grace_s=3600)
    assert sorted(p.name for p in serving.iterdir()) == [CURRENT_FILE, VERSIONS_DIR]


# -- writing only what changed ------------------------------------------------------------------

FACT = "marts.fct_visits"


@pytest.fixture
def months(tmp_path):
    """A month-grained fact table, three months of it, published one file per month."""
    con = duckdb.connect(str(tmp_path / "facts.duckdb"))
    con.execute(
        "create schema marts; create table marts.fct_visits as "
        "select cast(date '2023-04-01' + to_months(m) as date) as month_start, 'R' || o as org_code, m * 100 + o as visits "
        "from range(3) as months(m), range(4) as orgs(o)"
    )
    yield con
    con.close()


def _files(serving, version) -> dict[str, int]:
    """File under the version's fct_visits folder -> its inode."""
    folder = serving / VERSIONS_DIR / version / "fct_visits"
    return {p.name: p.stat().st_ino for p in sorted(folder.iterdir())}


def _published(serving, sql) -> list[tuple]:
    """`sql` against the current serving DB, opened read-only as a BI tool would."""
    con = duckdb.connect(str(serving / CURRENT_FILE), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _visits(serving) -> list[tuple]:
    return _published(serving, "select cast(month_start as varchar), sum(visits), count(*) from fct_visits group by 1 order by 1")


def test_a_new_month_writes_one_file_and_links_the_months_already_published(months, tmp_path):
    serving = tmp_path / "serving"
    first = publish(months, [FACT], serving, grace_s=0, partition_by={FACT: "month_start"})
    assert (first.files_written, first.files_linked) == (3, 0)
    assert sorted(_files(serving, first.version)) == [
        "part-2023-04-01.parquet",
        "part-2023-05-01.parquet",
        "part-2023-06-01.parquet",
    ]
    before = _files(serving, first.version)

    months.execute("insert into marts.fct_visits select date '2023-07-01', 'R' || o, 300 + o from range(4) as orgs(o)")
    second = publish(months, [FACT], serving, grace_s=3600, partition_by={FACT: "month_start"})
    assert (second.files_written, second.files_linked) == (1, 3)
    after = _files(serving, second.version)
    # The three months already published are the same files (one inode, two names); July is new.
    assert {name: after[name] for name in before} == before
    assert after["part-2023-07-01.parquet"] not in before.values()
    assert _visits(serving) == [("2023-04-01", 6, 4), ("2023-05-01", 406, 4), ("2023-06-01", 806, 4), ("2023-07-01", 1206, 4)]
    assert second.tables == {"fct_visits": 16}


def test_a_revised_month_is_written_again_and_a_new_column_rewrites_every_month(months, tmp_path):
    serving = tmp_path / "serving"
    first = publish(months, [FACT], serving, grace_s=3600, partition_by={FACT: "month_start"})
    before = _files(serving, first.version)

    # One organisation's May changes (a revision): May's file is written again, with the new value.
    months.execute("update marts.fct_visits set visits = visits + 1 where org_code = 'R2' and month_start = date '2023-05-01'")
    second = publish(months, [FACT], serving, grace_s=3600, partition_by={FACT: "month_start"})
    assert (second.files_written, second.files_linked) == (1, 2)
    after = _files(serving, second.version)
    assert after["part-2023-05-01.parquet"] != before["part-2023-05-01.parquet"]
    assert after["part-2023-04-01.parquet"] == before["part-2023-04-01.parquet"]
    assert _visits(serving)[1] == ("2023-05-01", 407, 4)

    # A new column: no file of the old shape can be reused, and the view has the column.
    months.execute("alter table marts.fct_visits add column beds integer default 7")
    third = publish(months, [FACT], serving, grace_s=3600, partition_by={FACT: "month_start"})
    assert (third.files_written, third.files_linked) == (3, 0)
    assert _published(serving, "select count(*), min(beds), max(beds) from fct_visits") == [(12, 7, 7)]


def test_a_mart_unchanged_since_the_last_publication_is_linked_not_written(warehouse, tmp_path):
    serving = tmp_path / "serving"
    first = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=3600)
    second = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=3600)
    assert (first.files_written, second.files_written, second.files_linked) == (1, 0, 1)
    old, new = (serving / VERSIONS_DIR / v / "mart_numbers.parquet" for v in (first.version, second.version))
    assert old.stat().st_ino == new.stat().st_ino
    _add_rows(warehouse, 1)
    third = publish(warehouse, ["marts.mart_numbers"], serving, grace_s=3600)
    assert (third.files_written, third.files_linked) == (1, 0)


def test_an_empty_partitioned_mart_publishes_its_columns(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    try:
        con.execute("create schema marts; create table marts.fct_visits (month_start date, org_code varchar, visits integer)")
        result = publish(con, [FACT], tmp_path / "serving", grace_s=0, partition_by={FACT: "month_start"})
    finally:
        con.close()
    assert result.tables == {"fct_visits": 0}
    serving = tmp_path / "serving"
    assert [r[0] for r in _published(serving, "describe fct_visits")] == ["month_start", "org_code", "visits"]
    assert _published(serving, "select count(*) from fct_visits") == [(0,)]
