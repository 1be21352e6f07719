"""Run the warehouse's Dagster jobs in this process, against the persistent instance under the home.

The CLI's `build` is: land the bundled samples, load every pending partition of each source in one
run per source, then one run of dbt and publish. Runs go to the same Dagster instance the UI
(`make dev`) reads, so their history, materialisations and check results show there.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetCheckSeverity

from dagster_project.ingest.intake import IntakeResult, intake, intake_folder
from dagster_project.ingest.landing import LandingStore
from dagster_project.settings import SAMPLES_DIR, Settings
from dagster_project.sources import SOURCES
from dagster_project.warehouse import open_warehouse

INSTANCE_YAML = """\
# Written by nhs-warehouse on first use; edit freely.
# One writer at a time: DuckDB allows one writing process per file, so runs and ops that write the
# warehouse queue instead of failing on the file lock.
concurrency:
  runs:
    tag_concurrency_limits:
      - key: nhs_warehouse/writer
        limit: 1
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def ensure_instance_home(settings: Settings) -> Path:
    """The Dagster instance folder ($DAGSTER_HOME, default under the warehouse home), configured."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML)
    return home


def get_instance(settings: Settings):
    # Opened from the folder rather than $DAGSTER_HOME so one process can serve several homes (tests).
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    return DagsterInstance.from_ref(InstanceRef.from_dir(str(ensure_instance_home(settings))))


def store_for(settings: Settings) -> LandingStore:
    return LandingStore(settings.landing_dir, settings.quarantine_dir)


def land_samples(settings: Settings, samples_dir: Path = SAMPLES_DIR) -> list[IntakeResult]:
    """Put every bundled sample into the landing store (same bytes twice are recognised)."""
    store = store_for(settings)
    results = []
    for spec in SOURCES.values():
        paths = sorted({path for pattern in spec.sample_globs for path in samples_dir.glob(pattern)})
        for path in paths:
            # A folder is a capture (e.g. the CQC API's documents): the spec packs its own part of it.
            if path.is_dir():
                results.extend(intake_folder(path, store, SOURCES.values(), spec=spec))
            else:
                results.append(intake(path, store, SOURCES.values(), spec=spec, max_bytes=settings.max_file_bytes))
    return results


def pending_partitions(settings: Settings) -> dict[str, list[str]]:
    """Per source, the periods whose newest landed file is not the vintage loaded in raw."""
    store = store_for(settings)
    loaded: dict[tuple[str, str], str] = {}
    if settings.warehouse_db.exists():
        with open_warehouse(settings.warehouse_db, read_only=True, timeout_s=settings.lock_timeout_s) as con:
            has_meta = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'meta' and table_name = 'partition_loads'"
            ).fetchone()[0]
            if has_meta:
                loaded = {
                    (s, p): sha
                    for s, p, sha in con.execute(
                        "select source_key, period, file_sha256 from meta.partition_loads where is_current"
                    ).fetchall()
                }
    pending: dict[str, list[str]] = {}
    for key in SOURCES:
        # One reading of the manifests per source (a lookup per period read them all for each one).
        periods = [
            period for period, latest in store.latest_by_period(key).items() if loaded.get((key, period)) != latest.sha256
        ]
        if periods:
            pending[key] = sorted(periods)
    return pending


@dataclass
class RunSummary:
    job: str
    success: bool
    run_id: str
    failed_checks: list[str] = field(default_factory=list)
    check_results: dict[str, bool] = field(default_factory=dict)
    check_metadata: dict[str, dict] = field(default_factory=dict)
    materialized: list[str] = field(default_factory=list)
    metadata: dict[str, dict] = field(default_factory=dict)
    error: str | None = None


def _summarise(job_name: str, result) -> RunSummary:
    summary = RunSummary(job=job_name, success=result.success, run_id=result.run_id)
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            summary.check_results[name] = evaluation.passed
            summary.check_metadata[name] = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
            # A WARN-severity check (e.g. "the month a published figure comes from is not loaded")
            # is reported, not a build failure.
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
                summary.failed_checks.append(name)
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            summary.materialized.append(key)
            summary.metadata[key] = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
        elif event.event_type_value == "STEP_FAILURE" and summary.error is None:
            summary.error = event.message
    return summary


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_job(settings: Settings, job_name: str, tags: dict[str, str] | None = None) -> RunSummary:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from dagster_project.definitions import build_definitions

        defs = build_definitions(settings)
        job = defs.resolve_job_def(job_name)
    instance = get_instance(settings)
    with sigterm_kept():
        result = job.execute_in_process(instance=instance, tags=tags or {}, raise_on_error=False, run_config=QUIET)
    alert_on_run(settings, instance, result.run_id)
    return _summarise(job_name, result)


@contextlib.contextmanager
def sigterm_kept():
    """Keep this process's SIGTERM handler through an in-process Dagster run.

    Dagster's `capture_interrupts` points SIGTERM at SIGINT's handler for the run and, leaving,
    points it at SIGINT's *original* handler rather than SIGTERM's (dagster/_utils/interrupts.py,
    1.13.27). In a process started in the background, where SIGINT is ignored, SIGTERM stayed
    ignored after the run, and so in every process it started later: a server the test suite
    started after a build could not be stopped with SIGTERM. tests/unit/test_sigterm_kept.py
    fails when Dagster changes this, and then this can go.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, handler)


def alert_on_run(settings: Settings, instance, run_id: str) -> None:
    """Alert on a CLI run's failures now, as the daemon's alert sensor would (it de-duplicates)."""
    import logging

    from dagster_project.alerts import Notifier
    from dagster_project.automation.run_alerts import alert_for_run

    try:
        alert_for_run(instance, instance.get_run_by_id(run_id), Notifier(settings), settings)
    except Exception:  # alerting must never break a build; the daemon's sensor reads the run again
        logging.getLogger(__name__).exception("could not raise alerts for run %s", run_id)


def run_raw_load(settings: Settings, source_key: str, periods: list[str]) -> RunSummary:
    """One run that loads every period from the first to the last pending one (unchanged ones are skipped)."""
    from dagster_project.definitions import raw_job_name

    start, end = min(periods), max(periods)
    spec = SOURCES[source_key]
    if spec.partitioning == "snapshot":
        # Snapshot keys are dynamic: register them, and bound the range in the instance's key order.
        from dagster_project.assets.partitions import register_snapshots

        ordered = register_snapshots(get_instance(settings), spec, periods)
        positions = [ordered.index(p) for p in periods]
        start, end = ordered[min(positions)], ordered[max(positions)]
    tags = {
        "dagster/asset_partition_range_start": start,
        "dagster/asset_partition_range_end": end,
    }
    return run_job(settings, raw_job_name(source_key), tags)


def run_marts(settings: Settings) -> RunSummary:
    return run_job(settings, "build_marts")
