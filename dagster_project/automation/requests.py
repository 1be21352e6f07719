"""Run requests for landed files: one run per file, for exactly the partitions it covers.

Every sensor that lands a file asks for its load the same way, keyed by source + period(s) +
checksum, so Dagster's run-key de-duplication makes a repeated request (a tick retried after a
crash, the same bytes fetched twice) a no-op while a revised vintage of the same month gets a run.
"""

from __future__ import annotations

from dagster import AddDynamicPartitionsRequest, RunRequest

from dagster_project.assets.partitions import partitions_for, snapshots
from dagster_project.ingest.landing import LandedFile
from dagster_project.ingest.spec import SourceSpec

TAG_SOURCE = "nhs_warehouse/source"
TAG_SHA = "nhs_warehouse/file_sha256"
TAG_FILE = "nhs_warehouse/file"
TAG_ORIGIN = "nhs_warehouse/origin"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def run_key(source: str, periods: tuple[str, ...] | list[str], sha256: str) -> str:
    periods = sorted(periods)
    span = periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"
    return f"{source}:{span}:{sha256[:16]}"


def invalid_periods(spec: SourceSpec, periods: tuple[str, ...], dynamic_partitions_store=None) -> list[str]:
    """Periods the source's partitions definition does not have (a month in the future, say)."""
    if spec.partitioning == "snapshot":
        return []  # added as the file arrives
    known = set(partitions_for(spec).get_partition_keys())
    return [p for p in periods if p not in known]


def load_request(spec: SourceSpec, landed: LandedFile, *, origin: str) -> RunRequest:
    from dagster_project.definitions import raw_job_name

    periods = sorted(landed.periods)
    tags = {
        TAG_SOURCE: spec.key,
        TAG_SHA: landed.sha256,
        TAG_FILE: landed.original_name[:200],
        TAG_ORIGIN: origin,
    }
    key = run_key(spec.key, periods, landed.sha256)
    if len(periods) == 1:
        return RunRequest(run_key=key, job_name=raw_job_name(spec.key), partition_key=periods[0], tags=tags)
    # Several periods in one file: one run over their range (the loader skips periods it has no file for).
    return RunRequest(
        run_key=key, job_name=raw_job_name(spec.key), tags=tags | {RANGE_START: periods[0], RANGE_END: periods[-1]}
    )


def partition_additions(spec: SourceSpec, landed: LandedFile) -> list[AddDynamicPartitionsRequest]:
    """Snapshot sources' partitions exist only once a file brings them."""
    if spec.partitioning != "snapshot":
        return []
    return [AddDynamicPartitionsRequest(partitions_def_name=snapshots(spec.key).name, partition_keys=sorted(landed.periods))]
