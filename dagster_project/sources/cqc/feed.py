"""CQC's change feed for the publication sensor: when locations change, capture the API again,
fetching only the documents the feed names and copying the rest from the newest landed capture.

The sensor (`automation/changes.py`) pages through `/changes/location` for the window since its last
cursor; `collect_changed_locations` turns a non-empty window into one new snapshot: location and
provider bundles dated the window's end, which land like any capture.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from dagster_project.ingest import bundle
from dagster_project.ingest.landing import LandingStore
from dagster_project.settings import Settings, load_settings
from dagster_project.sources.cqc.api import client_for
from dagster_project.sources.cqc.capture import LOCATIONS, PROVIDERS, pack

API_SOURCES = {"cqc_api_locations": LOCATIONS, "cqc_api_providers": PROVIDERS}


def changes_url(settings: Settings) -> str:
    from dagster_project.sources.ratings import CQC_API_BASE_URL, CQC_API_SOURCE

    return settings.source_url(CQC_API_SOURCE, CQC_API_BASE_URL).rstrip("/") + "/changes/location"


def unpack_newest_capture(store: LandingStore, folder: Path) -> Path | None:
    """The newest landed snapshot of each API source, unpacked into one capture folder."""
    found = False
    for key in API_SOURCES:
        landed = store.files(key)
        if not landed:
            continue
        newest = max(landed, key=lambda f: (max(f.periods, default=""), f.fetched_at))
        for name, data in bundle.iter_members(newest.path(store.landing_dir)):
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        found = True
    return folder if found else None


def collect_changed_locations(ids: list[str], window: tuple[dt.datetime, dt.datetime], fetch_json, dest_dir: Path) -> list[Path]:
    """An incremental capture for the window (`ids` changed in it); returns the bundles to land."""
    settings = load_settings()
    store = LandingStore(settings.landing_dir, settings.quarantine_dir)
    with tempfile.TemporaryDirectory(prefix="cqc-changes-") as work:
        previous = unpack_newest_capture(store, Path(work) / "previous")
        folder = Path(work) / "capture"
        with client_for(settings) as client:
            client.capture(
                folder,
                local_authority=settings.cqc_local_authority,
                region=settings.cqc_region,
                previous=previous,
                changed_since=window[0] if previous else None,
                now=window[1],
            )
        packed = [pack(folder, Path(dest_dir), entity, key) for key, entity in API_SOURCES.items()]
    return [path for path in packed if path is not None]
