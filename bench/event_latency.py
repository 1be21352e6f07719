"""Event latency: from a file landing in landing/incoming/ to its month being queryable in the serving DB.

    .venv/bin/python -m bench.event_latency [--landing-interval 15] [--automation-interval 30] [--settle 60]

Builds a warehouse holding May 2023 (`nhs-warehouse build`), starts `nhs-warehouse daemon` with the
given sensor intervals, drops the real June 2023 A&E file into landing/incoming/ (renamed into place,
so it is complete when it appears) and polls the serving DB until June's England row is there. Then
reads the runs from the Dagster instance and prints where the time went: waiting for the landing
sensor, the load run (queue, start-up, load + gate), waiting for the automation sensor, the dbt +
publish run. All numbers come from this one run; they depend on the machine and the intervals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "nhs-warehouse"
SAMPLES = ROOT / "data" / "samples" / "uec"


def sample(month: str) -> Path:
    [path] = [p for p in SAMPLES.glob("*.csv") if month in p.name]
    return path


def june_published(serving: Path) -> bool:
    if not serving.exists():
        return False
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return bool(con.execute("select count(*) from mart_uec_region_month where month_start = date '2023-06-01'").fetchone()[0])
    finally:
        con.close()


def runs_after(dagster_home: Path, since: float) -> list[dict]:
    from dagster import DagsterInstance, RunsFilter
    from dagster._core.instance.ref import InstanceRef

    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home)))
    records = instance.get_run_records(RunsFilter(created_after=dt.datetime.fromtimestamp(since, dt.timezone.utc)))
    out = []
    for record in sorted(records, key=lambda r: r.create_timestamp.timestamp()):
        out.append(
            {
                "job": record.dagster_run.job_name,
                "created": record.create_timestamp.timestamp(),
                "started": record.start_time,
                "ended": record.end_time,
                "status": record.dagster_run.status.value,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landing-interval", type=int, default=15, help="landing sensor interval, s (the default setting)")
    parser.add_argument("--automation-interval", type=int, default=30, help="automation sensor interval, s (the default setting)")
    parser.add_argument("--settle", type=float, default=60, help="landing settle time, s (the default setting)")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    home = work / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_") and k != "DAGSTER_HOME"}
    env |= {"NHS_WAREHOUSE_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    print(f"Preparing a warehouse with May 2023 in {home} …", flush=True)
    subprocess.run([str(CLI), "ingest", str(sample("May-2023"))], env=env, check=True, capture_output=True)
    subprocess.run([str(CLI), "build", "--no-samples"], env=env, capture_output=True)  # exits 1 on a warn-level test
    serving = home / "serving" / "marts.duckdb"

    daemon_env = env | {
        "NHS_WAREHOUSE_LANDING_INTERVAL": str(args.landing_interval),
        "NHS_WAREHOUSE_AUTOMATION_INTERVAL": str(args.automation_interval),
        "NHS_WAREHOUSE_LANDING_SETTLE": str(args.settle),
        "NHS_WAREHOUSE_POLL_PUBLISHERS": "off",
    }
    log = open(work / "daemon.log", "w")
    daemon = subprocess.Popen([str(CLI), "daemon"], env=daemon_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        time.sleep(10)  # let the daemon load the code location and take its first ticks
        incoming = home / "landing" / "incoming"
        staging = incoming / ".June-2023.csv.tmp"
        shutil.copyfile(sample("June-2023"), staging)
        os.utime(staging, (time.time() - args.settle - 1,) * 2)  # a file that finished copying before it appeared
        landed_at = time.time()
        os.replace(staging, incoming / "June-2023.csv")
        while not june_published(serving):
            if time.time() - landed_at > args.timeout or daemon.poll() is not None:
                print((work / "daemon.log").read_text()[-4000:])
                print("June 2023 never reached the serving DB")
                return 1
            time.sleep(0.5)
        queryable_at = time.time()
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
        log.close()

    runs = runs_after(home / "dagster", landed_at - 1)
    latency = queryable_at - landed_at
    print()
    print(f"Event latency (file landed -> June 2023 queryable in serving/marts.duckdb): {latency:.1f} s")
    print(
        f"  under: landing sensor every {args.landing_interval} s, automation sensor every {args.automation_interval} s, "
        f"settle {args.settle:.0f} s (file older than that at first sight)"
    )
    print(f"  {'run':<22}{'requested':>11}{'started':>10}{'ended':>9}   (s after landing)")
    busy = 0.0
    for run in runs:
        started = (run["started"] or 0) - landed_at
        ended = (run["ended"] or 0) - landed_at
        busy += (run["ended"] or 0) - (run["started"] or 0)
        print(f"  {run['job']:<22}{run['created'] - landed_at:>11.1f}{started:>10.1f}{ended:>9.1f}   {run['status']}")
    if runs:
        print(
            f"  share of the latency inside runs: {busy / latency:.0%}; the rest is sensor intervals, queueing and run start-up"
        )
    print(
        json.dumps(
            {
                "latency_s": round(latency, 1),
                "landing_interval_s": args.landing_interval,
                "automation_interval_s": args.automation_interval,
                "runs": len(runs),
            }
        )
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
