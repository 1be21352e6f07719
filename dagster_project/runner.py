"""Run the warehouse's Dagster jobs in this process, against the persistent instance under the home.

The CLI's `build` is: land the bundled samples, then load what is waiting. When one source has
waiting periods (a new month), that is one run, as for an event: the load over the range of its
periods, the gate, the dbt models downstream and publish. When several have, each source's load is
a run of its own (their partitions differ) and one more run rebuilds what is downstream of all of
them and publishes. Runs go to the same Dagster instance the UI (`make dev`) reads, so their
history, materialisations and check results show there. The definitions are built once per
process and settings, so a build pays for them once, not once per run.
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
from dagster_project.ingest.pending import pending_files
from dagster_project.settings import SAMPLES_DIR, Settings
from dagster_project.sources import SOURCES
from dagster_project.warehouse import LoadState, read_load_state

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
# A queued run starts within a second of its request (Dagster's default looks every 5 s).
run_queue:
  dequeue_interval_seconds: 1
telemetry:
  enabled: false
# Dagster's freshness daemon: evaluates each raw asset's freshness policy (assets/raw.py) every 30 s.
freshness:
  enabled: true
"""


def ensure_instance_home(settings: Settings) -> Path:
    """The Dagster instance folder ($DAGSTER_HOME, default under the warehouse home), configured."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML)
    return home


_INSTANCES: dict[Path, object] = {}


def get_instance(settings: Settings):
    """The Dagster instance of this home, opened once per process (opening one costs a second or two).

    Opened from the folder rather than $DAGSTER_HOME so one process can serve several homes (tests)."""
    from dagster import DagsterInstance

    home = ensure_instance_home(settings)
    if home not in _INSTANCES:
        _INSTANCES[home] = DagsterInstance.from_config(str(home))
    return _INSTANCES[home]


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


def load_state(settings: Settings) -> LoadState:
    state = read_load_state(settings.warehouse_db, timeout_s=settings.lock_timeout_s)
    if state is None:
        raise TimeoutError(f"{settings.warehouse_db} stayed locked by another writer for {settings.lock_timeout_s:.0f} s")
    return state


def pending_partitions(settings: Settings, state: LoadState | None = None) -> dict[str, list[str]]:
    """Per source, the periods whose newest landed file is not the vintage loaded in raw."""
    state = state or load_state(settings)
    return {source: list(files) for source, files in pending_files(store_for(settings), SOURCES, state.vintages).items()}


@dataclass
class RunSummary:
    job: str
    success: bool
    run_id: str
    failed_checks: list[str] = field(default_factory=list)
    check_results: dict[str, bool] = field(default_factory=dict)
    check_metadata: dict[str, dict] = field(default_factory=dict)
    check_descriptions: dict[str, str] = field(default_factory=dict)
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
            summary.check_descriptions[name] = evaluation.description or ""
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


_DEFINITIONS: dict[str, object] = {}


def definitions_for(settings: Settings):
    """The Definitions for these settings, built once per process (sensors, jobs and resources)."""
    key = repr(settings)
    if key not in _DEFINITIONS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from dagster_project.definitions import build_definitions

            _DEFINITIONS[key] = build_definitions(settings)
    return _DEFINITIONS[key]


def run_job(
    settings: Settings,
    job_name: str,
    *,
    asset_selection=None,
    partition_key: str | None = None,
    tags: dict[str, str] | None = None,
) -> RunSummary:
    from dagster_project.assets.catalog import checks_of

    job = definitions_for(settings).resolve_job_def(job_name)
    instance = get_instance(settings)
    with sigterm_kept(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if asset_selection is not None:
            job = job.get_subset(asset_selection=set(asset_selection), asset_check_selection=set(checks_of(asset_selection)))
        result = job.execute_in_process(
            instance=instance, tags=tags or {}, raise_on_error=False, run_config=QUIET, partition_key=partition_key
        )
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

    from dagster_project.alerting.alerts import Notifier
    from dagster_project.alerting.run_alerts import alert_for_run

    try:
        alert_for_run(instance, instance.get_run_by_id(run_id), Notifier(settings), settings)
    except Exception:  # alerting must never break a build; the daemon's sensor reads the run again
        logging.getLogger(__name__).exception("could not raise alerts for run %s", run_id)


def run_load(
    settings: Settings, source_key: str, periods: list[str], *, transform: bool = True, state: LoadState | None = None
) -> RunSummary:
    """One run that loads the periods (a range from the first to the last; loaded vintages are
    skipped) and, with `transform`, rebuilds the dbt models downstream of the source and publishes."""
    # Imported here: the asset catalog reads the dbt manifest, which `status` and `ingest` never need.
    from dagster_project.assets.catalog import load_job_name, selection_for_load
    from dagster_project.assets.partitions import register_snapshots
    from dagster_project.assets.raw import raw_asset_key

    spec = SOURCES[source_key]
    start, end = min(periods), max(periods)
    if spec.partitioning == "snapshot":
        # Snapshot keys are dynamic: register them, and bound the range in the instance's key order.
        ordered = register_snapshots(get_instance(settings), spec, periods)
        positions = [ordered.index(p) for p in periods]
        start, end = ordered[min(positions)], ordered[max(positions)]
    if transform:
        selection = selection_for_load(source_key, (state or load_state(settings)).passed_nodes)
    else:
        selection = [raw_asset_key(spec)]
    if start == end:
        return run_job(settings, load_job_name(source_key), asset_selection=selection, partition_key=start)
    tags = {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
    return run_job(settings, load_job_name(source_key), asset_selection=selection, tags=tags)


def run_source_freshness(settings: Settings) -> RunSummary:
    """dbt source freshness of every raw table (assets/source_freshness.py), as the nightly schedule runs it."""
    from dagster_project.assets.catalog import SOURCE_FRESHNESS_JOB_NAME

    return run_job(settings, SOURCE_FRESHNESS_JOB_NAME)


def run_marts(settings: Settings, sources: set[str] | None = None, state: LoadState | None = None) -> RunSummary:
    """dbt and publish: what is downstream of `sources` (everything when None, or while the
    warehouse has models never built)."""
    from dagster_project.assets.catalog import MARTS_JOB_NAME, transform_keys, transform_selection

    if sources is None:
        selection = list(transform_keys())
    else:
        selection = list(transform_selection(set(sources), (state or load_state(settings)).passed_nodes))
    return run_job(settings, MARTS_JOB_NAME, asset_selection=selection)
