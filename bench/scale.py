"""Scale: the pipeline at 1x, 10x and 100x the real volume, one more month at each, and the flat cost
of a new month as history grows. Extracts come from bench/generate.py (real layouts).

    .venv/bin/python -m bench.scale [--scales 1,10,100] [--no-sweep] [--sweep-widths 10,100] [--repeats 3]
                                    [--work /tmp/rel-bench]

For each scale, in a fresh home: `nhs-warehouse ingest` of every extract, then `nhs-warehouse build
--no-samples` (timed together as the full build; peak memory is the largest single process's,
Dagster or dbt); then one more month ingested and built (the incremental cost); then bare DuckDB
doing the same reads and SQL (bench/bare.py) for the pipeline's overhead ratio. The sweep adds one
A&E month after 12, 24, 48 and 76 months of history, at 10x and at 100x the real providers (the
wider history makes any cost that follows its rows show), three times at each point from a copy of
the home: its cost should not grow.

Prints a table and writes bench/results/scale.json. Timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from bench import generate
from bench.bare import bare_build

ROOT = Path(__file__).resolve().parent
CLI = Path(sys.executable).parent / "nhs-warehouse"
SOURCE_OF_FOLDER = {"uec": "uec_ae_monthly", "workforce": "nhs_doctors_by_specialty"}


@dataclass
class Run:
    seconds: float
    peak_mb: float
    steps: dict[str, float] = field(default_factory=dict)


# Linux carries ru_maxrss across exec, and subprocess spawns with vfork: a command started from
# here would report this process's own peak (bare DuckDB runs in it, gigabytes at 100x) as its
# own. This small launcher forks the command itself, so wait4 reports the command's tree alone.
PEAK_LAUNCHER = """
import os, sys
peak_file, args = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(args[0], args)
_, status, usage = os.wait4(pid, 0)
open(peak_file, "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(args: list[str], env: dict, log: Path) -> Run:
    """Run a command; its wall time and the peak RSS of its largest process (wait4's rusage)."""
    peak_file = log.with_suffix(".peak")
    started = time.perf_counter()
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(args[:4])}{' ...' if len(args) > 4 else ''}\n")
        out.flush()
        returncode = subprocess.call(
            [sys.executable, "-c", PEAK_LAUNCHER, str(peak_file), *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    seconds = time.perf_counter() - started
    if returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed ({returncode}); see {log}")
    return Run(seconds, int(peak_file.read_text()) / 1024, _steps(log))


def _steps(log: Path) -> dict[str, float]:
    """The CLI's own step times from the last command's output (raw/<source> and dbt build lines)."""
    text = log.read_text(errors="replace").rsplit("\n$ ", 1)[-1]
    steps = {}
    for line in text.splitlines():
        match = re.search(r"(raw/\w+|dbt build):.*?(\d+) s\s*$", line)
        if match:
            steps[match.group(1)] = float(match.group(2))
    return steps


def env_for(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_") and k != "DAGSTER_HOME"}
    return env | {"NHS_WAREHOUSE_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "COLUMNS": "250"}


def ingest_and_build(home: Path, files: list[Path], log: Path) -> Run:
    env = env_for(home)
    ingest = measured([str(CLI), "ingest", *map(str, files)], env, log)
    build = measured([str(CLI), "build", "--no-samples"], env, log)
    return Run(
        ingest.seconds + build.seconds,
        max(ingest.peak_mb, build.peak_mb),
        {"ingest": round(ingest.seconds, 1), **build.steps, "build": round(build.seconds, 1)},
    )


def raw_rows(home: Path) -> dict[str, int]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return {s: con.execute(f"select count(*) from raw.{s}").fetchone()[0] for s in SOURCE_OF_FOLDER.values()}
    finally:
        con.close()


def extracts(work: Path, scale: int, *, new_month: bool = False, only: str | None = None, last: int | None = None) -> list[Path]:
    """Generated once per scale and source and reused (they are deterministic). `only` keeps one
    source folder (uec or workforce); `last` keeps the last N months of each source's history (only
    those months are generated)."""
    folder = work / "extracts" / f"x{scale}{'-new' if new_month else ''}"
    files: list[Path] = []
    for name in ("uec", "workforce"):
        if only and name != only:
            continue
        keep = None if new_month else last
        done = folder / f".complete-{name}{'' if keep is None else f'-last{keep}'}"
        if not (done.exists() or (folder / ".complete").exists() or (folder / f".complete-{name}").exists()):
            _generate(folder / name, name, scale, new_month=new_month, last=keep)
            done.write_text("")
        found = sorted((folder / name).glob("*.csv"), key=_month_of)
        files += found[-keep:] if keep else found
    return files


def _generate(dest: Path, name: str, scale: int, *, new_month: bool, last: int | None) -> None:
    if name == "uec":
        generate.generate_uec(dest, scale, new_month=new_month)  # every month (cheap): `last` picks from them
    elif new_month or last is None:
        generate.generate_core3(dest, scale, new_month=new_month)
    else:
        organisations = generate.CORE3_ORGANISATIONS * generate.CORE3_ORGS_FACTOR[scale]
        for month in generate.core3_months(scale)[-last:]:
            generate.core3_month(month, organisations, dest)


def by_source(files: list[Path]) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for f in files:
        out.setdefault(SOURCE_OF_FOLDER[f.parent.name], []).append(f)
    return out


def scale_run(work: Path, scale: int, *, only: str | None = None, last: int | None = None) -> dict:
    from dagster_project.assets.dbt import published_models

    files = extracts(work, scale, only=only, last=last)
    home = work / f"home-x{scale}"
    shutil.rmtree(home, ignore_errors=True)
    log = work / f"x{scale}.log"
    log.unlink(missing_ok=True)
    print(f"x{scale}: {len(files)} extracts, {sum(f.stat().st_size for f in files) / 1e6:,.0f} MB; full build…", flush=True)
    full = ingest_and_build(home, files, log)
    rows = {s: n for s, n in raw_rows(home).items() if n}
    new_files = extracts(work, scale, new_month=True, only=only)
    print(f"x{scale}: {sum(rows.values()):,} rows in {full.seconds:,.0f} s; one more month…", flush=True)
    added = ingest_and_build(home, new_files, log)
    added_rows = {s: n - rows.get(s, 0) for s, n in raw_rows(home).items() if n}
    print(f"x{scale}: one more month ({sum(added_rows.values()):,} rows) in {added.seconds:,.0f} s; bare DuckDB…", flush=True)
    bare = bare_build(by_source(files), home / "warehouse.duckdb", work / f"bare-x{scale}", [t for _, t in published_models()])
    assert bare["rows"] == rows, f"bare DuckDB read {bare['rows']} rows, the pipeline loaded {rows}"
    total = sum(rows.values())
    return {
        "scale": scale,
        "only": only,
        "last_months": last,
        "files": len(files),
        "megabytes": round(sum(f.stat().st_size for f in files) / 1e6, 1),
        "rows": rows,
        "full_build": asdict(full),
        "full_build_us_per_row": round(full.seconds / total * 1e6, 1),
        "new_month": asdict(added) | {"rows": added_rows},
        "bare_duckdb": bare,
        "pipeline_over_bare": round(full.seconds / bare["seconds"], 1),
    }


def history_sweep(work: Path, points=(12, 24, 48, 76), repeats: int = 3, width: int = 10) -> list[dict]:
    """One more A&E month (`width` times the real providers) after each history length: the
    incremental cost, which should not grow.

    The history grows in one home from point to point. At each point the home is copied aside, and
    the next month is added `repeats` times, each time to the home as copied (restored to the same
    path, since the serving DB's views name their Parquet files by absolute path), so every repeat
    measures the same step and the median stands up to a noisy neighbour on the machine.
    """
    months = _ae_months(work, width)
    home, base = work / f"home-sweep-x{width}", work / f"home-sweep-x{width}.base"
    for folder in (home, base):
        shutil.rmtree(folder, ignore_errors=True)
    log = work / f"sweep-x{width}.log"
    log.unlink(missing_ok=True)

    def restore() -> None:
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(base, home, symlinks=True)

    results, loaded = [], 0
    for history in points:
        if base.exists():
            restore()
        ingest_and_build(home, months[loaded:history], log)  # the history (not measured)
        loaded = history
        shutil.rmtree(base, ignore_errors=True)
        shutil.copytree(home, base, symlinks=True)
        print(f"sweep x{width}: {history} months of history; one more, {repeats} times…", flush=True)
        runs = []
        for _ in range(repeats):
            restore()
            run = ingest_and_build(home, [months[history]], log)
            runs.append(asdict(run) | {"dbt_nodes_s": _dbt_node_seconds(home)})
        seconds = [r["seconds"] for r in runs]
        results.append(
            {
                "width": width,
                "history_months": history,
                "history_rows": raw_rows(base)["uec_ae_monthly"],
                "median_s": round(statistics.median(seconds), 1),
                "min_s": round(min(seconds), 1),
                "max_s": round(max(seconds), 1),
                "runs": runs,
            }
        )
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    return results


def monthly_builds(work: Path, width: int = 10) -> dict:
    """Every month of the A&E history built on its own, in order, into one home: what a warehouse in
    operation does, where the Dagster instance, validation results and load log grow with each build
    as well as the rows. Reports each build and the least-squares slope of build time on the number
    of months already loaded (about 50 minutes at 10x: `--monthly`, not part of `make bench`)."""
    months = _ae_months(work, width)
    home = work / f"home-monthly-x{width}"
    shutil.rmtree(home, ignore_errors=True)
    log = work / f"monthly-x{width}.log"
    log.unlink(missing_ok=True)
    seconds = []
    for n, month in enumerate(months):
        seconds.append(ingest_and_build(home, [month], log).seconds)
        print(f"monthly x{width}: month {n + 1} of {len(months)} in {seconds[-1]:.1f} s", flush=True)
    shutil.rmtree(home, ignore_errors=True)
    slope = statistics.linear_regression(range(len(seconds)), seconds).slope
    return {
        "width": width,
        "builds": len(seconds),
        "seconds": [round(s, 2) for s in seconds],
        "slope_s_per_month": round(slope, 4),
        "median_first_12_s": round(statistics.median(seconds[:12]), 1),
        "median_last_12_s": round(statistics.median(seconds[-12:]), 1),
    }


def _ae_months(work: Path, width: int) -> list[Path]:
    """The generated A&E months at `width`, oldest first."""
    return sorted(extracts(work, width, only="uec"), key=_month_of)


def _dbt_node_seconds(home: Path) -> dict[str, float]:
    """dbt's own time in the home's newest build: elapsed, the sum over nodes, and the slowest nodes
    (nothing before the project kept dbt's target folders under the home)."""
    runs = home / "dbt" / "runs"
    if not runs.is_dir():
        return {}
    newest = max(runs.iterdir(), key=lambda p: p.name)
    results = json.loads((newest / "run_results.json").read_text())
    nodes = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}
    slowest = sorted(nodes.items(), key=lambda item: -item[1])[:5]
    return {"elapsed": round(results["elapsed_time"], 2), "nodes": round(sum(nodes.values()), 2)} | {
        name: round(t, 2) for name, t in slowest
    }


def _month_of(path: Path) -> tuple[int, int]:
    """(year, month) from an extract's name: Monthly-AE-June-2023-…csv or Workforce-Core3-2026-04-…csv."""
    if match := re.search(r"Core3-(\d{4})-(\d{2})", path.name):
        return int(match.group(1)), int(match.group(2))
    months = "|".join(calendar.month_name[1:])
    match = re.search(rf"(?:^|-)({months})-(\d{{4}})", path.name)
    return int(match.group(2)), list(calendar.month_name).index(match.group(1))


def _label(r: dict) -> str:
    """1x, or 100x (uec, last 12 months) when the run was reduced."""
    reduced = [r["only"]] if r.get("only") else []
    reduced += [f"last {r['last_months']} months"] if r.get("last_months") else []
    return f"{r['scale']}x" + (f" ({', '.join(reduced)})" if reduced else "")


def report(results: dict) -> str:
    lines = [
        "| scale | rows (A&E + doctors) | full build | peak memory | µs per row | one more month (rows) | bare DuckDB | pipeline / bare |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["scales"]:
        new = r["new_month"]
        lines.append(
            f"| {_label(r)} | "
            f"{r['rows'].get('uec_ae_monthly', 0):,} + {r['rows'].get('nhs_doctors_by_specialty', 0):,} | "
            f"{r['full_build']['seconds']:,.0f} s | {r['full_build']['peak_mb']:,.0f} MB | {r['full_build_us_per_row']} | "
            f"{new['seconds']:,.0f} s ({sum(new['rows'].values()):,}) | {r['bare_duckdb']['seconds']:,.1f} s | {r['pipeline_over_bare']}x |"
        )
    if results.get("sweep"):
        lines += [
            "",
            "| width | A&E history (months, rows) | one more month: median (min-max) | dbt nodes (elapsed) | peak memory |",
            "|---|---|---|---|---|",
        ]
        for s in results["sweep"]:
            timed = sorted((r["dbt_nodes_s"] for r in s["runs"] if r["dbt_nodes_s"]), key=lambda d: d["nodes"])
            dbt = f"{timed[len(timed) // 2]['nodes']:.1f} s ({timed[len(timed) // 2]['elapsed']:.1f} s)" if timed else "-"
            peak = max(r["peak_mb"] for r in s["runs"])
            lines.append(
                f"| {s['width']}x | {s['history_months']} months, {s['history_rows']:,} rows | "
                f"{s['median_s']:,.1f} s ({s['min_s']:,.1f}-{s['max_s']:,.1f}) | {dbt} | {peak:,.0f} MB |"
            )
    if results.get("monthly"):
        m = results["monthly"]
        lines += [
            "",
            f"{m['builds']} monthly builds at {m['width']}x: median {m['median_first_12_s']} s over the first 12, "
            f"{m['median_last_12_s']} s over the last 12; slope {m['slope_s_per_month']:+.4f} s per month of history",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--work", type=Path, default=Path("/tmp/rel-bench"))
    parser.add_argument("--keep", action="store_true", help="keep the homes (the extracts are always kept)")
    parser.add_argument("--only", choices=["uec", "workforce"], help="one source's extracts only")
    parser.add_argument("--last", type=int, help="only the last N months of each source's history")
    parser.add_argument("--sweep-widths", default="10,100", help="A&E widths of the history sweep (10x: 1,372 providers a month)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="one-more-month builds at each sweep point (the median is reported)"
    )
    parser.add_argument(
        "--monthly", action="store_true", help="also build every A&E month on its own into one home (10x, ~50 min)"
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "scales": [], "sweep": []}
    for scale in [int(s) for s in args.scales.split(",") if s]:
        results["scales"].append(scale_run(args.work, scale, only=args.only, last=args.last))
        if not args.keep:
            shutil.rmtree(args.work / f"home-x{scale}", ignore_errors=True)
            shutil.rmtree(args.work / f"bare-x{scale}", ignore_errors=True)
    if not args.no_sweep:
        for width in [int(w) for w in args.sweep_widths.split(",") if w]:
            results["sweep"] += history_sweep(args.work, repeats=args.repeats, width=width)
    if args.monthly:
        results["monthly"] = monthly_builds(args.work)
    (ROOT / "results").mkdir(exist_ok=True)
    label = "-".join(
        ["scale", args.scales.replace(",", "-") or "sweep"]
        + ([args.only] if args.only else [])
        + ([f"last{args.last}"] if args.last else [])
        + (["monthly"] if args.monthly else [])
    )
    (ROOT / "results" / f"{label}.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip duckdb's benign nanobind shutdown warnings (see cli.entrypoint)
