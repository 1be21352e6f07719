"""SIGKILL at random points during landing, loading and publishing, 50 times; each time a restart
completes, and nothing a reader could see is ever a mix of two states.

Every iteration lands new revisions of May and/or June 2023 (one provider's 12-hour waits and the
England total moved by the iteration number, so each reconciles), loads them through the real gate,
rebuilds GX Data Docs, builds a mart and publishes it (tests/reliability/kill_worker.py). The worker
is killed either just before a random one of its effects (a DuckDB call, a write, rename, fsync or
unlink; chosen uniformly among those a full run makes) or at a random moment of the run (which also
lands inside Great Expectations' own work). After each kill:

- the serving DB is the previous publication or the new one, whole (every view reads its Parquet);
- each raw partition holds exactly one vintage, all its rows, matching its totals row and the
  record of the current vintage;
- every landed file matches its manifest's checksum.

Then the same run is started again and must complete: raw and serving reach the new state, no
publish leftovers remain, and no temporary file in landing outlives the next intake.

    NHS_KILL_LOOP_KILLS=200 NHS_KILL_LOOP_SEED=7 .venv/bin/pytest tests/reliability/test_kill_loop.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest.landing import TEMP_MIN_AGE_S, LandingStore, sha256_of
from dagster_project.settings import PROJECT_ROOT
from dagster_project.sources.uec import UEC_AE_MONTHLY
from tests.conftest import uec_sample

pytestmark = pytest.mark.faults

KILLS = int(os.environ.get("NHS_KILL_LOOP_KILLS", "50"))
SEED = int(os.environ.get("NHS_KILL_LOOP_SEED", str(int(time.time()) % 100_000)))
MONTHS = {"2023-05-01": uec_sample("May-2023"), "2023-06-01": uec_sample("June-2023")}
TWELVE_HOURS = "Patients who have waited 12+ hrs from DTA to admission"


@dataclass(frozen=True)
class Vintage:
    period: str
    path: Path
    sha256: str
    providers: int
    dta_waits_over_12h: int

    @property
    def summary(self) -> tuple:
        return (self.period, self.sha256, self.providers, self.dta_waits_over_12h, self.dta_waits_over_12h)


def make_vintage(period: str, delta: int, folder: Path) -> Vintage:
    """A revision of a real month: RWY's 12-hour waits and the England total both moved by `delta`."""
    rows = list(csv.reader(io.StringIO(MONTHS[period].read_text(encoding="utf-8-sig"))))
    col = rows[0].index(TWELVE_HOURS)
    for row in rows[1:]:
        if row[1] == "RWY" or row[1].strip().casefold() == "total":
            row[col] = str(int(row[col]) + delta)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = folder / f"{period[:7]}-revision-{delta}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    main = UEC_AE_MONTHLY.parse(path).tables[""]
    return Vintage(period, path, sha256_of(path), len(main), int(main["dta_waits_over_12h"].sum()))


class Worker:
    """The fork server, and runs of the worker it forks."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.kill_worker"],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, vintages: list[Vintage], kill_at_step: int | None = None) -> int:
        request = {
            "home": str(self.home),
            "files": [str(v.path) for v in vintages],
            "periods": sorted(MONTHS),
            "kill_at_step": kill_at_step,
        }
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["pid"]

    def wait(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, "the fork server died"
        return json.loads(line)

    def complete(self, vintages: list[Vintage]) -> dict:
        self.start(vintages)
        ended = self.wait()
        assert ended["exit"] == 0, f"the restart did not complete:\n{self.log_tail()}"
        return ended

    def log_tail(self) -> str:
        log = self.home.parent / "worker.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-40:]) if log.exists() else ""

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _read_only(db: Path):
    return duckdb.connect(str(db), read_only=True)


def serving_state(home: Path) -> tuple | None:
    """The published mart as a BI tool sees it (None before the first publish)."""
    db = home / "serving" / "marts.duckdb"
    if not db.exists():
        return None
    con = _read_only(db)
    try:
        rows = con.execute(
            "select period, file_sha256, providers, dta_waits_over_12h, england_total from partition_summary order by period"
        ).fetchall()
        assert con.execute("select count(*) from _publication").fetchone()[0] == 1
        return tuple(rows)
    finally:
        con.close()


def raw_vintages(home: Path) -> dict[str, str]:
    """Per partition, the one vintage it holds, after checking it holds all of that vintage."""
    con = _read_only(home / "warehouse.duckdb")
    try:
        found = {}
        for period, shas, rows, waits in con.execute(
            "select _period, list(distinct _file_sha256), count(*), sum(dta_waits_over_12h) "
            "from raw.uec_ae_monthly group by _period"
        ).fetchall():
            assert len(shas) == 1, f"{period} mixes vintages {shas}"
            found[period] = (shas[0], rows, waits)
        totals = dict(con.execute("select _period, list(_file_sha256) from raw.uec_ae_monthly__totals group by 1").fetchall())
        current = dict(
            con.execute("select period, list(file_sha256) from meta.partition_loads where is_current group by 1").fetchall()
        )
    finally:
        con.close()
    for period, (sha, _, _) in found.items():
        assert totals.get(period) == [sha], f"{period}: totals row {totals.get(period)} vs rows {sha}"
        assert current.get(period) == [sha], f"{period}: recorded current vintage {current.get(period)} vs rows {sha}"
    return {period: found[period] for period in found}


def check_whole(home: Path, allowed: dict[str, set[Vintage]], serving_allowed: set) -> None:
    raw = raw_vintages(home)
    for period, (sha, rows, waits) in raw.items():
        match = [v for v in allowed[period] if v.sha256 == sha]
        assert match, f"{period} holds a vintage that is neither the previous nor the new one"
        assert (rows, waits) == (match[0].providers, match[0].dta_waits_over_12h), f"{period} is not whole"
    assert serving_state(home) in serving_allowed, "the serving DB is neither the previous nor the new state"
    store = LandingStore(home / "landing", home / "quarantine")
    for landed in store.files("uec_ae_monthly"):
        assert sha256_of(landed.path(store.landing_dir)) == landed.sha256, f"{landed.stored_name} is not whole"


def leftovers(home: Path) -> dict[str, list[Path]]:
    serving = home / "serving"
    versions = sorted((serving / "versions").iterdir()) if (serving / "versions").exists() else []
    return {
        "landing_temp": [p for p in (home / "landing").rglob(".*.tmp")] + [p for p in (home / "quarantine").rglob(".*.tmp")],
        "serving_temp": list(serving.glob(".marts.duckdb.*")),
        "old_versions": versions[:-1],
    }


def test_sigkill_at_random_points_during_load_and_publish(tmp_path):
    rng = random.Random(SEED)
    print(f"kill loop: {KILLS} kills, seed {SEED} (NHS_KILL_LOOP_SEED to repeat)")
    home = tmp_path / "run" / "home"
    home.parent.mkdir()
    files = tmp_path / "files"
    files.mkdir()
    worker = Worker(home)
    try:
        current = {p: make_vintage(p, 0, files) for p in MONTHS}
        worker.complete(list(current.values()))
        # A full run's effects and duration, to draw kill points from: the fastest of two runs on
        # new revisions (a slow outlier would put most timed kills after the run has ended).
        full_seconds = float("inf")
        for delta in (1000, 1001):
            current = {p: make_vintage(p, delta, files) for p in MONTHS}
            started = time.monotonic()
            full_steps = worker.complete(list(current.values()))["steps"]
            full_seconds = min(full_seconds, time.monotonic() - started)
        published = serving_state(home)
        assert published == tuple(v.summary for v in sorted(current.values(), key=lambda v: v.period))

        kills, by_mode, iteration, restart_seconds = 0, {"step": 0, "time": 0}, 0, 0.0
        last_temp_sweep_deadline = None
        while kills < KILLS:
            iteration += 1
            assert iteration <= KILLS * 3, "too few runs were actually killed"
            # Half the runs revise both months (a kill can fall between their two swaps), half one.
            periods = sorted(MONTHS) if rng.random() < 0.5 else [rng.choice(sorted(MONTHS))]
            new = dict(current) | {p: make_vintage(p, iteration, files) for p in periods}
            new_vintages = [new[p] for p in periods]
            expected_new = tuple(v.summary for v in sorted(new.values(), key=lambda v: v.period))
            mode = "step" if iteration % 2 else "time"
            if mode == "step":
                worker.start(new_vintages, kill_at_step=rng.randint(1, int(full_steps * 1.05)))
                ended = worker.wait()
            else:
                pid = worker.start(new_vintages)
                began = time.monotonic()
                time.sleep(rng.uniform(0, full_seconds))
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass  # it finished first
                ended = worker.wait()
                if ended["exit"] == 0 and len(periods) == len(MONTHS):
                    full_seconds = min(full_seconds, time.monotonic() - began)
            assert ended["exit"] in (0, -signal.SIGKILL), worker.log_tail()
            if ended["exit"] == -signal.SIGKILL:
                kills += 1
                by_mode[mode] += 1
            allowed = {p: {current[p], new[p]} for p in MONTHS}
            check_whole(home, allowed, {published, expected_new})

            # The restart: the same run again, which must complete and reach the new state.
            restart_began = time.time()
            worker.complete(new_vintages)
            restart_seconds += time.time() - restart_began
            check_whole(home, {p: {new[p]} for p in MONTHS}, {expected_new})
            left = leftovers(home)
            assert left["serving_temp"] == [] and left["old_versions"] == [], left
            # A killed intake's temporary file is swept by the next intake once it is TEMP_MIN_AGE_S
            # old (its writer's lock gone): it never survives two restarts.
            if last_temp_sweep_deadline is not None:
                stale = [p for p in left["landing_temp"] if p.stat().st_mtime < last_temp_sweep_deadline]
                assert stale == [], f"temporary files outlived a restart: {stale}"
            last_temp_sweep_deadline = restart_began - TEMP_MIN_AGE_S
            current, published = new, expected_new
        print(
            f"kill loop: {kills} kills in {iteration} iterations ({by_mode['step']} at a random effect of "
            f"{full_steps}, {by_mode['time']} at a random time within {full_seconds:.1f} s); every restart completed "
            f"(mean {restart_seconds / iteration:.1f} s)"
        )
    finally:
        worker.close()
