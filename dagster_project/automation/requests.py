"""Run requests for what has landed and not loaded: one run per source, over its waiting periods.

What is waiting is read from the landing store and the warehouse's own bookkeeping
(`ingest/pending.py`), never from the Dagster instance, so a new instance over a built home (a move
to PostgreSQL, a fresh `DAGSTER_HOME`) requests nothing for files already loaded, and catch-up work
(fifty months landed while no daemon ran) is one run over a partition range, not fifty runs.

Each run selects the source's raw asset and the dbt models downstream of it, and the serving
snapshot (`assets/catalog.py`): the month loads, is gated and reaches the serving DB in one run.
The run key is the source, its periods and the checksums of the files: Dagster drops a repeated
request (a tick retried, a run still queued), while a revised vintage of the same month is new work.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from dagster import AddDynamicPartitionsRequest, RunRequest

from dagster_project.assets.catalog import checks_of, load_job_name, selection_for_load
from dagster_project.assets.partitions import partitions_for, snapshots_name
from dagster_project.ingest.landing import LandedFile, LandingStore
from dagster_project.ingest.pending import pending_files
from dagster_project.ingest.spec import SourceSpec
from dagster_project.settings import Settings
from dagster_project.sources import SOURCES
from dagster_project.warehouse import read_load_state

TAG_SOURCE = "nhs_warehouse/source"
TAG_SHA = "nhs_warehouse/file_sha256"
TAG_FILE = "nhs_warehouse/file"
TAG_ORIGIN = "nhs_warehouse/origin"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

# How long a sensor tick waits for a running load to release the warehouse before leaving the
# requests to its next tick (the writer is busy, so a new run would only queue behind it).
BUSY_WAIT_S = 2.0


def run_key(source: str, periods: list[str], sha256s: list[str]) -> str:
    periods = sorted(periods)
    span = periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"
    shas = sorted(set(sha256s))
    digest = shas[0] if len(shas) == 1 else hashlib.sha256("".join(shas).encode()).hexdigest()
    return f"{source}:{span}:{digest[:16]}"


def invalid_periods(spec: SourceSpec, periods) -> list[str]:
    """Periods the source's partitions definition does not have (a month in the future, say)."""
    if spec.partitioning == "snapshot":
        return []  # added as the file arrives
    known = set(partitions_for(spec).get_partition_keys())
    return [p for p in periods if p not in known]


@dataclass
class LoadRequests:
    run_requests: list[RunRequest] = field(default_factory=list)
    partition_additions: list[AddDynamicPartitionsRequest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def pending_load_requests(
    settings: Settings, instance, *, origin: str, sources: list[str] | None = None, busy_wait_s: float = BUSY_WAIT_S
) -> LoadRequests | None:
    """A run request per source with landed periods waiting to load; None while a writer holds the warehouse."""
    state = read_load_state(settings.warehouse_db, timeout_s=busy_wait_s)
    if state is None:
        return None
    store = LandingStore(settings.landing_dir, settings.quarantine_dir)
    result = LoadRequests()
    for source, waiting in pending_files(store, sources or list(SOURCES), state.vintages).items():
        spec = SOURCES[source]
        bad = invalid_periods(spec, waiting)
        for period in bad:
            result.notes.append(f"{waiting[period].original_name}: no {source} partition for {period}")
        waiting = {p: f for p, f in waiting.items() if p not in bad}
        if not waiting:
            continue
        periods = list(waiting)
        order = periods
        if spec.partitioning == "snapshot":
            known = instance.get_dynamic_partitions(snapshots_name(spec.key))
            new = [p for p in periods if p not in known]
            if new:
                result.partition_additions.append(
                    AddDynamicPartitionsRequest(partitions_def_name=snapshots_name(spec.key), partition_keys=new)
                )
            order = [*known, *new]  # the range is bounded in the instance's key order
        result.run_requests.append(
            _request(spec, periods, order, list(waiting.values()), selection_for_load(source, state.passed_nodes), origin)
        )
    return result


def _request(
    spec: SourceSpec, periods: list[str], order: list[str], files: list[LandedFile], selection, origin: str
) -> RunRequest:
    unique = {f.sha256: f for f in files}
    tags = {TAG_SOURCE: spec.key, TAG_ORIGIN: origin[:200]}
    if len(unique) == 1:
        [only] = unique.values()
        tags |= {TAG_SHA: only.sha256, TAG_FILE: only.original_name[:200]}
    else:
        tags[TAG_FILE] = f"{len(unique)} files"
    key = run_key(spec.key, periods, list(unique))
    job = load_job_name(spec.key)
    checks = checks_of(selection)  # the gate and dbt tests; never the source freshness checks
    if len(periods) == 1:
        return RunRequest(
            run_key=key, job_name=job, partition_key=periods[0], asset_selection=selection, asset_check_keys=checks, tags=tags
        )
    # Several periods: one run over their range (the loader skips periods whose vintage is loaded).
    positions = sorted(order.index(p) for p in periods)
    tags |= {RANGE_START: order[positions[0]], RANGE_END: order[positions[-1]]}
    return RunRequest(run_key=key, job_name=job, asset_selection=selection, asset_check_keys=checks, tags=tags)
