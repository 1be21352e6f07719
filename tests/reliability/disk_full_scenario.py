"""Run inside a size-limited place (see test_disk_full.py) and report what happened as JSON on stdout.

python -m tests.reliability.disk_full_scenario HOME SMALL_FILE LARGE_FILE URL
    land one file, then try to land a file and download a file that do not fit (HOME is full)
python -m tests.reliability.disk_full_scenario --sensor HOME LARGE_FILE
    the landing sensor takes a dropped file whose copy does not fit (HOME/landing is full)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dagster_project.ingest.fetch import FetchError, fetch
from dagster_project.ingest.intake import intake
from dagster_project.ingest.landing import LandingStore, sha256_of
from dagster_project.sources import SOURCES


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def sensor(home: Path, large: Path) -> None:
    import logging
    import os
    import shutil

    from dagster_project.alerting.alerts import Notifier
    from dagster_project.automation.landing import LandingCursor, take_incoming
    from dagster_project.settings import load_settings

    os.environ["NHS_WAREHOUSE_HOME"] = str(home)
    settings = load_settings().replace(landing_settle_s=0.0)
    settings.incoming_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(large, settings.incoming_dir / large.name)
    store = LandingStore(settings.landing_dir, settings.quarantine_dir)
    results = take_incoming(settings, store, LandingCursor(), Notifier(settings, urls=()), logging.getLogger("sensor"))
    con = __import__("duckdb").connect(str(settings.alerts_db), read_only=True)
    alerts = con.execute("select kind, title from alerts").fetchall()
    con.close()
    print(
        json.dumps(
            {
                "results": [{"status": r.status, "message": r.message} for r in results],
                "incoming": sorted(p.name for p in settings.incoming_dir.iterdir()),
                "landing": _listing(settings.landing_dir / "uec_ae_monthly")
                if (settings.landing_dir / "uec_ae_monthly").exists()
                else [],
                "alerts": alerts,
            }
        )
    )


def main() -> None:
    if sys.argv[1] == "--sensor":
        sensor(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    home, small, large, url = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    store = LandingStore(home / "landing", home / "quarantine")
    report: dict = {}
    first = intake(small, store, SOURCES.values())
    report["first"] = {"status": first.status, "message": first.message}
    report["after_first"] = _listing(home)
    second = intake(large, store, SOURCES.values())
    report["second"] = {"status": second.status, "message": second.message, "error": second.error}
    report["after_second"] = _listing(home)
    report["landed"] = [
        (f.original_name, f.sha256, sha256_of(f.path(store.landing_dir)) == f.sha256) for f in store.files("uec_ae_monthly")
    ]
    try:
        fetch(url, home / "downloads", retries=0, sleep=lambda s: None)
        report["fetch"] = {"status": "fetched"}
    except FetchError as exc:
        report["fetch"] = exc.as_record()
    report["after_fetch"] = _listing(home)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
