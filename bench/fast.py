"""Fast feedback: the fixed costs a user meets, for this checkout and an earlier one, side by side.

    .venv/bin/python -m bench.fast [--before REF] [--repeats 3] [--only NAME[,NAME]] [--scale 100]

Each measurement runs for both checkouts in turn (before, after, before, after, ...), each in a
fresh warehouse home, and the median of the repeats is printed. `--before` names a commit (default:
the one before the fast-feedback work, 2c1a184); it is checked out beside this one as a git
worktree with its own locked environment (`make install`), so both use their own code and defaults.

What is measured (the rows of the fast-feedback issue):
- `make_run`: `nhs-warehouse build` of the bundled samples into a fresh home (what `make run` does
  after `make install`);
- `nothing_new`: the same command again, with nothing new;
- `one_month`: `nhs-warehouse ingest` of the newest real A&E month and `build --no-samples`, in a
  home already holding every other bundled month;
- `event`: the daemon running at its default settings, the newest A&E month renamed into
  `landing/incoming/`, until the month is queryable in `serving/marts.duckdb`;
- `event_new_instance`: the same, with the daemon on a new, empty Dagster instance (`DAGSTER_HOME`
  elsewhere) over a built home; also how many runs it started;
- `scale` (with `--scale K`): a full build at K times the real volume (bench/scale.py's synthetic
  extracts in the real layouts) against bare DuckDB doing the same reads and SQL, and its peak memory.

Timings depend on the machine and its load: compare the two columns, not the absolute numbers.
Prints a table and writes bench/results/fast.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "uec"
BEFORE = "2c1a184"  # main before the fast-feedback work
NEW_MONTH = ("June-2024", "2024-06-01")  # the newest bundled A&E month
EVENT_TIMEOUT_S = 600.0


@dataclass
class Checkout:
    label: str
    root: Path

    @property
    def cli(self) -> str:
        return str(self.root / ".venv" / "bin" / "nhs-warehouse")

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_") and k != "DAGSTER_HOME"}
        return env | {"NHS_WAREHOUSE_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"} | extra

    def run(self, home: Path, *args: str, **extra: str) -> tuple[float, subprocess.CompletedProcess]:
        started = time.perf_counter()
        result = subprocess.run([self.cli, *args], env=self.env(home, **extra), capture_output=True, text=True, cwd=self.root)
        return time.perf_counter() - started, result


def checkout_of(ref: str, work: Path) -> Checkout:
    """`ref` as a git worktree beside this one, installed with its own `make install`."""
    dest = work / f"checkout-{ref}"
    if not (dest / ".venv" / "bin" / "nhs-warehouse").exists():
        subprocess.run(
            ["git", "worktree", "add", "--force", "--detach", str(dest), ref], cwd=ROOT, check=True, capture_output=True
        )
        subprocess.run(["make", "install"], cwd=dest, check=True, capture_output=True)
    return Checkout(ref, dest)


def sample(month: str) -> Path:
    [path] = [p for p in SAMPLES.glob("*.csv") if month in p.name]
    return path


def month_published(serving: Path, month: str) -> bool:
    if not serving.exists():
        return False
    try:
        con = duckdb.connect(str(serving), read_only=True)
    except duckdb.Error:
        return False  # being renamed into place
    try:
        return bool(con.execute(f"select count(*) from mart_uec_region_month where month_start = date '{month}'").fetchone()[0])
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# measurements: each takes a checkout and a scratch folder, returns figures (seconds unless named)


def make_run(c: Checkout, work: Path) -> dict:
    seconds, result = c.run(work / "home", "build")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"seconds": seconds}


def nothing_new(c: Checkout, work: Path, built: Path) -> dict:
    home = work / "home"
    shutil.copytree(built, home, symlinks=True)
    seconds, result = c.run(home, "build")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"seconds": seconds}


def every_sample_but_the_new_month() -> list[Path]:
    from dagster_project.settings import SAMPLES_DIR
    from dagster_project.sources import SOURCES

    paths = sorted({p for spec in SOURCES.values() for pattern in spec.sample_globs for p in SAMPLES_DIR.glob(pattern)})
    return [p for p in paths if NEW_MONTH[0] not in p.name]


def without_new_month(c: Checkout, work: Path) -> Path:
    """A home built from every bundled sample but the newest A&E month (a warehouse in use)."""
    home = work / "without-new-month"
    c.run(home, "ingest", *map(str, every_sample_but_the_new_month()))
    c.run(home, "build", "--no-samples")  # exits 1 on the warn-level figure tests; published regardless
    assert (home / "serving" / "marts.duckdb").exists()
    return home


def one_month(c: Checkout, work: Path, base: Path) -> dict:
    home = work / "home"
    shutil.copytree(base, home, symlinks=True)
    ingest_s, result = c.run(home, "ingest", str(sample(NEW_MONTH[0])))
    assert result.returncode == 0, result.stdout + result.stderr
    build_s, result = c.run(home, "build", "--no-samples")
    assert month_published(home / "serving" / "marts.duckdb", NEW_MONTH[1]), result.stdout[-3000:] + result.stderr[-3000:]
    return {"seconds": ingest_s + build_s, "ingest": ingest_s, "build": build_s}


def event(c: Checkout, work: Path, base: Path, *, new_instance: bool) -> dict:
    """Drop the newest month into landing/incoming/ with the daemon running; time until it is served."""
    home = work / "home"
    shutil.copytree(base, home, symlinks=True)
    extra = {"NHS_WAREHOUSE_POLL_PUBLISHERS": "off"}
    dagster_home = home / "dagster"
    if new_instance:
        dagster_home = work / "new-dagster-home"
        dagster_home.mkdir()
        extra["DAGSTER_HOME"] = str(dagster_home)
    log = open(work / "daemon.log", "w")
    daemon = subprocess.Popen(
        [c.cli, "daemon"], env=c.env(home, **extra), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=c.root
    )
    try:
        # The daemon's start (loading the code location) is not part of an event's latency.
        deadline = time.monotonic() + 120
        while (
            "Instance is configured with the following daemons" not in (work / "daemon.log").read_text()
            and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        time.sleep(5)
        incoming = home / "landing" / "incoming"
        staging = incoming / f".{NEW_MONTH[0]}.csv.tmp"
        shutil.copyfile(sample(NEW_MONTH[0]), staging)
        landed_at = time.time()
        os.replace(staging, incoming / f"{NEW_MONTH[0]}.csv")  # complete when it appears
        served = None
        while time.time() - landed_at < EVENT_TIMEOUT_S:
            if month_published(home / "serving" / "marts.duckdb", NEW_MONTH[1]):
                served = time.time() - landed_at
                break
            time.sleep(0.25)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
        log.close()
    runs = _runs(dagster_home)
    return {"seconds": served, "served": served is not None, "runs": runs}


def _runs(dagster_home: Path) -> int:
    from dagster import DagsterInstance

    instance = DagsterInstance.from_config(str(dagster_home))
    try:
        return len(instance.get_run_records())
    finally:
        instance.dispose()


def scale(c: Checkout, work: Path, k: int) -> dict:
    """bench/scale.py of the checkout under test at one scale: full build, peak memory, bare DuckDB."""
    out = subprocess.run(
        # The extracts are generated once into `work`'s parent and shared by both checkouts.
        [
            str(c.root / ".venv" / "bin" / "python"),
            "-m",
            "bench.scale",
            "--scales",
            str(k),
            "--no-sweep",
            "--work",
            str(work.parent / "scale"),
        ],
        cwd=c.root,
        capture_output=True,
        text=True,
        env=c.env(work / "unused"),
    )
    results = json.loads((c.root / "bench" / "results" / f"scale-{k}.json").read_text()) if out.returncode == 0 else None
    assert results, out.stdout[-3000:] + out.stderr[-3000:]
    row = results["scales"][0]
    full, bare = row["full_build"], row["bare_duckdb"]
    return {
        "seconds": full["seconds"],
        "peak_mb": full["peak_mb"],
        "bare_s": bare["seconds"],
        "ratio": full["seconds"] / bare["seconds"],
        "one_month_s": row["new_month"]["seconds"],
    }


# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    figures: dict[str, list[dict]] = field(default_factory=dict)

    def median(self, label: str, key: str = "seconds") -> float | None:
        values = [f[key] for f in self.figures.get(label, []) if f.get(key) is not None]
        return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE, help=f"the commit to compare with (default {BEFORE})")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated measurement names")
    parser.add_argument("--scale", type=int, default=0, help="also the full build at this scale (e.g. 100), once each")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-fast-"))
    work.mkdir(parents=True, exist_ok=True)
    checkouts = [checkout_of(args.before, work), Checkout("this", ROOT)]
    only = set(filter(None, args.only.split(",")))
    wanted = lambda name: not only or name in only  # noqa: E731
    rows: dict[str, Row] = {}

    def measure(name: str, fn, *fn_args, repeats: int = args.repeats, **fn_kwargs) -> None:
        row = rows.setdefault(name, Row(name))
        for i in range(repeats):
            for c in checkouts:
                scratch = work / f"{name}-{c.label}-{i}"
                shutil.rmtree(scratch, ignore_errors=True)
                scratch.mkdir(parents=True)
                figures = fn(c, scratch, *[a[c.label] if isinstance(a, dict) else a for a in fn_args], **fn_kwargs)
                row.figures.setdefault(c.label, []).append(figures)
                print(f"  {name} {c.label} #{i + 1}: {json.dumps(figures)}", flush=True)
                shutil.rmtree(scratch, ignore_errors=True)

    built: dict[str, Path] = {}
    for c in checkouts if wanted("nothing_new") else []:
        home = work / f"built-{c.label}"
        if not (home / "serving" / "marts.duckdb").exists():
            c.run(home, "build")
        built[c.label] = home
    if wanted("make_run"):
        measure("make_run", make_run)
    if wanted("nothing_new"):
        measure("nothing_new", nothing_new, built)
    if any(wanted(name) for name in ("one_month", "event", "event_new_instance")):
        bases = {c.label: without_new_month(c, work / f"base-{c.label}") for c in checkouts}
        if wanted("one_month"):
            measure("one_month", one_month, bases)
        if wanted("event"):
            measure("event", event, bases, new_instance=False)
        if wanted("event_new_instance"):
            measure("event_new_instance", event, bases, new_instance=True, repeats=1)
    if args.scale:
        measure(f"scale_{args.scale}x", scale, args.scale, repeats=1)

    labels = [c.label for c in checkouts]
    print(f"\n{'measurement':<24}" + "".join(f"{label:>14}" for label in labels) + f"{'after/before':>14}")
    for row in rows.values():
        values = [row.median(label) for label in labels]
        cells = "".join(f"{v:>13.1f}s" if v is not None else f"{'> ' + str(int(EVENT_TIMEOUT_S)) + 's':>14}" for v in values)
        ratio = f"{values[1] / values[0]:>14.2f}" if all(values) else f"{'':>14}"
        print(f"{row.name:<24}{cells}{ratio}")
    results = {
        "before": args.before,
        "after": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        "repeats": args.repeats,
        "rows": {name: row.figures for name, row in rows.items()},
    }
    out = ROOT / "bench" / "results" / "fast.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
