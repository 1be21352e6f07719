"""A fork server for the SIGKILL loop: imports the warehouse once, then forks a fresh worker per run.

Python, pandas, DuckDB and Great Expectations take seconds to import; a worker forked from a process
that has imported them starts at once, so the loop can afford 50 kills and as many restarts. The
worker itself keeps nothing from a previous run: it opens the warehouse, the landing store and a new
GX file context from disk as a restarted process would.

Protocol (one JSON object per line): the test writes a run request on stdin,

    {"home": "...", "files": ["..."], "periods": ["2023-05-01", ...], "kill_at_step": 1234 | null}

and reads back `{"pid": N}` as soon as the worker is forked (to kill it at a time of its choosing),
then `{"pid": N, "exit": code, "steps": S}` when it ends: exit -9 for a kill. `steps` counts the
effects the worker went through: each call into DuckDB and each file-system call that writes,
renames, syncs or removes (a complete run tells the test how many there are to choose a kill point
from). Great Expectations' own work is not counted (profiling it would triple the run); kills at
random times cover it.

A worker's run is what `nhs-warehouse build` does, minus Dagster's and dbt's start-up: land the
files, load each period through the real gate (parse, stage, GX, swap in one transaction), rebuild
the GX Data Docs, build a mart from raw, and publish it (Parquet + the serving DuckDB file renamed
into place).

    python -m tests.reliability.kill_worker
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from pathlib import Path

import duckdb  # imported before forking (the point of a fork server), with GX and pandas
import pandas  # noqa: F401

from dagster_project.ingest.intake import intake
from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.partitions import PartitionLoader
from dagster_project.serving.publish import publish
from dagster_project.sources import SOURCES
from dagster_project.sources.uec import UEC_AE_MONTHLY
from dagster_project.validation.gate import Gate
from dagster_project.validation.gx_imports import import_gx
from dagster_project.warehouse import open_warehouse

# Kill points: calls that change what is on disk. File-system calls are seen by a profile hook
# (os.* and fcntl.flock by module, writes and flushes on real files); DuckDB's methods are not
# Python-visible calls (nanobind), so connections opened by the warehouse's own code are wrapped.
POSIX_EFFECTS = frozenset(
    {
        "replace",
        "rename",
        "fsync",
        "unlink",
        "link",
        "mkdir",
        "rmdir",
        "chmod",
        "truncate",
        "ftruncate",
        "utime",
        "open",
        "write",
        "close",
        "flock",
    }
)
FILE_EFFECTS = frozenset({"write", "flush", "truncate"})
DUCKDB_EFFECTS = frozenset(
    {"execute", "executemany", "register", "unregister", "checkpoint", "close", "commit", "rollback", "begin", "sql", "query"}
)
OWN_CODE = str(Path(__file__).resolve().parents[2] / "dagster_project")


class Steps:
    """Counts effects; SIGKILLs this process just before effect number `kill_at`."""

    def __init__(self, kill_at: int | None) -> None:
        self.kill_at = kill_at
        self.count = 0

    def effect(self) -> None:
        if sys.getprofile() is None:
            return  # inside Great Expectations (see `unprofiled`)
        self.count += 1
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def hook(self, frame, event, arg):
        if event != "c_call":
            return
        name = getattr(arg, "__name__", None)
        if getattr(arg, "__module__", None) in ("posix", "fcntl"):
            if name in POSIX_EFFECTS:
                self.effect()
        elif name in FILE_EFFECTS:
            target = getattr(arg, "__self__", None)
            if isinstance(target, io.IOBase) and not isinstance(target, (io.StringIO, io.BytesIO)):
                self.effect()


class CountedConnection:
    """A DuckDB connection whose statements, commits and closes are kill points."""

    def __init__(self, con, steps: Steps) -> None:
        self._con = con
        self._steps = steps

    def __getattr__(self, name):
        attr = getattr(self._con, name)
        if name not in DUCKDB_EFFECTS:
            return attr

        def call(*args, **kwargs):
            self._steps.effect()
            return attr(*args, **kwargs)

        return call

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def count_duckdb_calls(steps: Steps) -> None:
    """Wrap connections the warehouse's own code opens (GX's and SQLAlchemy's stay as they are)."""
    real_connect = duckdb.connect

    def connect(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        caller = sys._getframe(1).f_code.co_filename
        return CountedConnection(con, steps) if caller.startswith(OWN_CODE) else con

    duckdb.connect = connect


MART = "marts.partition_summary"
MART_SQL = f"""
create schema if not exists marts;
create or replace table {MART} as
select r._period as period, any_value(r._file_sha256) as file_sha256, count(*) as providers,
       sum(r.dta_waits_over_12h) as dta_waits_over_12h, any_value(t.dta_waits_over_12h) as england_total
from raw.uec_ae_monthly as r
join raw.uec_ae_monthly__totals as t using (_period)
group by r._period
order by r._period
"""


def run(request: dict) -> None:
    home = Path(request["home"])
    store = LandingStore(home / "landing", home / "quarantine")
    for path in request["files"]:
        result = intake(Path(path), store, SOURCES.values())
        if not result.ok:
            raise SystemExit(f"intake failed: {result.message}")
    gate = Gate(home / "validation")
    gate.validate, gate.build_docs = unprofiled(gate.validate), unprofiled(gate.build_docs)
    loader = PartitionLoader(UEC_AE_MONTHLY, store, gate, home / "pending")
    with open_warehouse(home / "warehouse.duckdb") as con:
        for period in request["periods"]:
            outcome = loader.load(con, period)
            if outcome.status not in ("loaded", "unchanged"):
                raise SystemExit(f"{period}: {outcome.status} {outcome.message}")
    gate.build_docs()
    with open_warehouse(home / "warehouse.duckdb") as con:
        con.execute(MART_SQL)
        publish(con, [MART], home / "serving", grace_s=0)


def unprofiled(method):
    def call(*args, **kwargs):
        hook = sys.getprofile()
        sys.setprofile(None)
        try:
            return method(*args, **kwargs)
        finally:
            sys.setprofile(hook)

    return call


def worker(request: dict, steps_file: Path) -> int:
    steps = Steps(request.get("kill_at_step"))
    count_duckdb_calls(steps)
    sys.setprofile(steps.hook)
    try:
        run(request)
    finally:
        sys.setprofile(None)
        steps_file.write_text(str(steps.count))
    return 0


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        steps_file = Path(request["home"]).parent / "worker-steps"
        steps_file.unlink(missing_ok=True)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                sys.stdin.close()
                log = open(Path(request["home"]).parent / "worker.log", "a")
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                code = worker(request, steps_file)
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        steps = int(steps_file.read_text()) if steps_file.exists() else None
        print(json.dumps({"pid": pid, "exit": code, "steps": steps}), flush=True)


if __name__ == "__main__":
    import_gx()  # before forking, as the gate imports it (validation/gx_imports.py)
    main()
