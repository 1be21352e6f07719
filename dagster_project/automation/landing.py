"""The landing-folder sensor: files dropped into `landing/incoming/` (or landed by `nhs-warehouse ingest`) load.

Each tick does two things:

1. Takes settled files from `incoming/` into the landing store (source recognised by content,
   stored under its sha256 with a manifest) and removes them from `incoming/`. A file is settled
   when its size and mtime have not changed since the previous tick, or, at first sight, when it
   has not changed for `landing_settle_s` (it arrived while the daemon was down): a file still
   being copied in is left alone. A file that cannot be read goes to quarantine and alerts.
2. Requests one run per newly landed file, for exactly its partitions, keyed by source + period +
   checksum. "Newly landed" is read from the landing store's manifests, after a high-water mark
   kept in the cursor, so the store itself is the durable queue: if the daemon dies after taking a
   file but before its run was requested, the next tick still requests it, and a repeat request
   for the same file is dropped by Dagster's run-key de-duplication. A restart neither repeats nor
   skips a file.

Files a publication sensor fetched (their manifest has a URL) are requested by that sensor.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DefaultSensorStatus, SensorDefinition, SensorEvaluationContext, SensorResult, SkipReason, sensor

from dagster_project.alerts import Notifier
from dagster_project.automation import messages
from dagster_project.automation.requests import invalid_periods, load_request, partition_additions
from dagster_project.ingest.intake import IntakeResult, intake
from dagster_project.ingest.landing import LandedFile, LandingStore
from dagster_project.settings import Settings
from dagster_project.sources import SOURCES

SENSOR_NAME = "landing_folder"
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".swp")


# A manifest is written when its copy finishes but dated when the copy started, so one may appear
# dated before manifests already handled. Checksums handled within this window are remembered.
LATE_MANIFEST_WINDOW = dt.timedelta(hours=1)


@dataclass
class LandingCursor:
    # incoming file name -> [size, mtime_ns] when last seen (not yet settled)
    seen: dict[str, list[int]] = field(default_factory=dict)
    # manifests handled: every one dated before `floor`, and from `floor` on those with these checksums
    floor: str = ""
    recent: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, raw: str | None) -> "LandingCursor | None":
        if not raw:
            return None
        data = json.loads(raw)
        return cls(seen=data.get("seen", {}), floor=data.get("floor", ""), recent=data.get("recent", []))

    def dump(self) -> str:
        return json.dumps({"seen": self.seen, "floor": self.floor, "recent": sorted(self.recent)}, sort_keys=True)

    def is_new(self, landed: LandedFile) -> bool:
        return landed.fetched_at >= self.floor and landed.sha256 not in self.recent

    def advance(self, every_manifest: list[LandedFile]) -> None:
        """After handling every manifest present: move the floor up, remember the window's checksums."""
        if not every_manifest:
            return
        newest = max(dt.datetime.fromisoformat(f.fetched_at) for f in every_manifest)
        self.floor = max(self.floor, (newest - LATE_MANIFEST_WINDOW).isoformat())
        self.recent = sorted({f.sha256 for f in every_manifest if f.fetched_at >= self.floor})


def incoming_files(incoming: Path) -> list[Path]:
    if not incoming.is_dir():
        return []
    return sorted(
        p for p in incoming.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES)
    )


def settled(path: Path, cursor: LandingCursor, settle_s: float, now: float) -> bool:
    """Whether a dropped file is complete: unchanged since the last tick, or long quiet at first sight."""
    stat = path.stat()
    observed = [stat.st_size, stat.st_mtime_ns]
    previous = cursor.seen.get(path.name)
    cursor.seen[path.name] = observed
    if previous == observed:
        return True
    return previous is None and now - stat.st_mtime >= settle_s


def take_incoming(settings: Settings, store: LandingStore, cursor: LandingCursor, notifier: Notifier, log) -> list[IntakeResult]:
    now = time.time()
    results = []
    present = set()
    for path in incoming_files(settings.incoming_dir):
        present.add(path.name)
        if not settled(path, cursor, settings.landing_settle_s, now):
            log.info(f"{path.name}: still changing, waiting for it to settle")
            continue
        result = intake(path, store, SOURCES.values(), max_bytes=settings.max_file_bytes)
        results.append(result)
        if result.status == "rejected":
            notifier.fire(messages.rejected_file(settings, result, "landing/incoming"))
        log.info(f"{path.name}: {result.status} {result.message}")
        if result.status == "failed":
            # Not stored anywhere (e.g. a full disk): keep the dropped file for the next tick.
            notifier.fire(messages.intake_failure(settings, result, "landing/incoming"))
            continue
        # The landing store (or quarantine) holds the bytes now; the manifest is the durable record.
        path.unlink(missing_ok=True)
        cursor.seen.pop(path.name, None)
    cursor.seen = {name: v for name, v in cursor.seen.items() if name in present}
    return results


def materialized_everywhere(context: SensorEvaluationContext, landed: LandedFile) -> bool:
    """On the first tick only: whether this file's partitions are already loaded (e.g. by `nhs-warehouse build`)."""
    from dagster_project.assets.raw import raw_asset_key

    spec = SOURCES[landed.source]
    done = context.instance.get_materialized_partitions(raw_asset_key(spec))
    return set(landed.periods) <= set(done)


def build_landing_sensor(settings: Settings, jobs) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        jobs=jobs,
        minimum_interval_seconds=settings.landing_interval_s,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Takes files dropped into landing/incoming/ into the landing store (source detected by content) "
            "and requests one load run per newly landed file, for exactly its partitions."
        ),
    )
    def landing_folder(context: SensorEvaluationContext):
        settings.ensure_dirs()
        store = LandingStore(settings.landing_dir, settings.quarantine_dir)
        notifier = Notifier(settings)
        first_tick = context.cursor is None
        cursor = LandingCursor.parse(context.cursor) or LandingCursor()
        take_incoming(settings, store, cursor, notifier, context.log)

        run_requests, additions, skipped = [], [], []
        every_manifest = [f for key in SOURCES for f in store.files(key)]
        for landed in sorted((f for f in every_manifest if cursor.is_new(f)), key=lambda f: (f.fetched_at, f.sha256)):
            if landed.url or not landed.periods:
                continue  # a publication sensor requested it
            if first_tick and materialized_everywhere(context, landed):
                continue
            spec = SOURCES[landed.source]
            bad = invalid_periods(spec, landed.periods)
            if bad:
                skipped.append(f"{landed.original_name}: no partition for {', '.join(bad)}")
                continue
            additions.extend(partition_additions(spec, landed))
            run_requests.append(load_request(spec, landed, origin="landing"))
        cursor.advance(every_manifest)
        for note in skipped:
            context.log.warning(note)
        if not run_requests:
            return SensorResult(skip_reason=SkipReason("no newly landed files"), cursor=cursor.dump())
        return SensorResult(run_requests=run_requests, dynamic_partitions_requests=additions, cursor=cursor.dump())

    return landing_folder
