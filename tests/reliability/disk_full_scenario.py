"""Run inside a size-limited place (see test_disk_full.py): land one file, then try to land a file
and download a file that do not fit, and report what happened as JSON on stdout.

    python -m tests.reliability.disk_full_scenario HOME SMALL_FILE LARGE_FILE URL
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


def main() -> None:
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
