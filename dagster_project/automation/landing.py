"""The landing-folder sensor: files dropped into `landing/incoming/` land, and whatever landed and is not loaded loads.

Each tick does two things:

1. Takes settled files from `incoming/` into the landing store (source recognised by content,
   stored under its sha256 with a manifest) and removes them from `incoming/`. A file is settled
   once its size and mtime have held still for `landing_settle_s` (2 s by default): a file seen
   younger than that is looked at again within the tick, so a dropped month is taken by the first
   tick after it arrives, while a file still being copied in is left for the next. Drop files
   under a temporary name (`.part`, `.tmp`, a leading dot) and rename them when complete if the
   copy can stall for longer. A file that cannot be read goes to quarantine and alerts.
2. Requests a load run for every source with landed periods whose vintage is not the one the
   warehouse holds (`requests.py`): files dropped here, landed by `nhs-warehouse ingest`, or fetched
   by a publication sensor. The landing store and the warehouse are the durable record, so a
   daemon that dies between taking a file and requesting its run requests it on its next tick,
   and a repeated request is dropped by its run key. The cursor holds only what the settling needs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DefaultSensorStatus, SensorDefinition, SensorEvaluationContext, SensorResult, SkipReason, sensor

from dagster_project.alerting.alerts import Notifier
from dagster_project.assets.catalog import LOAD_JOBS
from dagster_project.alerting import messages
from dagster_project.automation.requests import pending_load_requests
from dagster_project.ingest.intake import IntakeResult, intake
from dagster_project.ingest.landing import LandingStore
from dagster_project.settings import Settings
from dagster_project.sources import SOURCES

SENSOR_NAME = "landing_folder"
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".swp")


# The longest a tick waits for a young file to show it has settled; a longer settle time is
# judged across ticks instead.
MAX_WAIT_IN_TICK_S = 5.0


@dataclass
class LandingCursor:
    # incoming file name -> [size, mtime_ns] when last seen (not yet settled)
    seen: dict[str, list[int]] = field(default_factory=dict)
    # run keys requested for work still waiting: not requested again while it waits (Dagster would
    # drop the repeat by its run key anyway; this keeps the tick history saying what is new)
    requested: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, raw: str | None) -> "LandingCursor | None":
        if not raw:
            return None
        data = json.loads(raw)
        return cls(seen=data.get("seen", {}), requested=data.get("requested", []))

    def dump(self) -> str:
        return json.dumps({"seen": self.seen, "requested": sorted(self.requested)}, sort_keys=True)


def incoming_files(incoming: Path) -> list[Path]:
    if not incoming.is_dir():
        return []
    return sorted(
        p for p in incoming.iterdir() if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES)
    )


def _observe(path: Path) -> tuple[list[int], float]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns], stat.st_mtime


def settled(path: Path, cursor: LandingCursor, settle_s: float, now: float) -> bool:
    """Whether a dropped file is complete: unchanged since the last tick, or still for `settle_s`."""
    observed, mtime = _observe(path)
    previous = cursor.seen.get(path.name)
    cursor.seen[path.name] = observed
    if previous == observed:
        return True
    if previous is not None:
        return False  # it changed since the last tick: still being written
    age = now - mtime
    if age >= settle_s:
        return True
    if settle_s - age > MAX_WAIT_IN_TICK_S:
        return False
    time.sleep(settle_s - age)
    again, _ = _observe(path)
    cursor.seen[path.name] = again
    return again == observed


def take_incoming(settings: Settings, store: LandingStore, cursor: LandingCursor, notifier: Notifier, log) -> list[IntakeResult]:
    results = []
    present = set()
    for path in incoming_files(settings.incoming_dir):
        present.add(path.name)
        if not settled(path, cursor, settings.landing_settle_s, time.time()):
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


def build_landing_sensor(settings: Settings) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        jobs=LOAD_JOBS,
        minimum_interval_seconds=settings.landing_interval_s,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Takes files dropped into landing/incoming/ into the landing store (source detected by content) "
            "and requests one run per source for whatever landed and is not loaded: the load, its gate, "
            "the dbt models downstream and the serving snapshot."
        ),
    )
    def landing_folder(context: SensorEvaluationContext):
        settings.ensure_dirs()
        store = LandingStore(settings.landing_dir, settings.quarantine_dir)
        cursor = LandingCursor.parse(context.cursor) or LandingCursor()
        take_incoming(settings, store, cursor, Notifier(settings), context.log)
        requested = pending_load_requests(settings, context.instance, origin="landing")
        if requested is None:
            return SensorResult(
                skip_reason=SkipReason("a run is writing the warehouse: waiting loads are requested at the next tick"),
                cursor=cursor.dump(),
            )
        for note in requested.notes:
            context.log.warning(note)
        new = [r for r in requested.run_requests if r.run_key not in cursor.requested]
        cursor.requested = [r.run_key for r in requested.run_requests if r.run_key is not None]
        if not new:
            reason = "requested already; waiting for its run" if requested.run_requests else "nothing landed is waiting to load"
            return SensorResult(skip_reason=SkipReason(reason), cursor=cursor.dump())
        return SensorResult(
            run_requests=new,
            dynamic_partitions_requests=requested.partition_additions,
            cursor=cursor.dump(),
        )

    return landing_folder
