"""Every asset of the warehouse and the jobs over them: what a load run selects.

One job per source, `load_<source>`: its raw asset, every dbt asset and the serving snapshot. A run
of it selects a subset: a landed month loads, is gated, and the models downstream of that source
rebuild and publish in the same run (`selection_for_load`), so an event costs one run, not a load
run and then an automation run. The blocking gate check stops the run's dbt and publish steps
when the load fails, so the last good marts stay published. `build_marts` rebuilds dbt and publish
without loading (the CLI after loading several sources, `--force`). `check_source_freshness` runs
dbt source freshness over every raw table (assets/source_freshness.py).

Definitions, sensors and the CLI's runner all import from here, never from `definitions`.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from functools import cache

from dagster import AssetCheckKey, AssetKey, AssetSelection, define_asset_job

from dagster_project.assets.dbt import unbuilt_nodes, warehouse_dbt_assets
from dagster_project.assets.raw import build_raw_asset, raw_asset_key
from dagster_project.assets.source_freshness import source_freshness_checks
from dagster_project.serving.assets import serving_marts
from dagster_project.sources import SOURCES

RAW_ASSETS = {key: build_raw_asset(spec) for key, spec in SOURCES.items()}
ALL_ASSETS = [*RAW_ASSETS.values(), warehouse_dbt_assets, serving_marts]

# Runs that write the warehouse carry this tag; the instance limits them to one at a time.
WRITER_TAGS = {"nhs_warehouse/writer": "duckdb"}
MARTS_JOB_NAME = "build_marts"
SOURCE_FRESHNESS_JOB_NAME = "check_source_freshness"
# dbt source freshness is asked on its own (a schedule, the end of a CLI build), not by every load.
_SOURCE_FRESHNESS = AssetSelection.checks(source_freshness_checks)

_TRANSFORM = AssetSelection.assets(warehouse_dbt_assets, serving_marts)


def load_job_name(source_key: str) -> str:
    return f"load_{source_key}"


LOAD_JOBS = [
    define_asset_job(
        load_job_name(key),
        selection=(AssetSelection.assets(raw_asset_key(spec)) | _TRANSFORM) - _SOURCE_FRESHNESS,
        tags=WRITER_TAGS,
        description=(
            f"Load landed {key} partitions through the gate; in the same run, rebuild the dbt models "
            "downstream of it and republish the serving snapshot."
        ),
    )
    for key, spec in SOURCES.items()
]
MARTS_JOB = define_asset_job(
    MARTS_JOB_NAME,
    selection=_TRANSFORM,
    tags=WRITER_TAGS,
    description="dbt build (staging, marts, tests) then publish the serving snapshot.",
)
SOURCE_FRESHNESS_JOB = define_asset_job(
    SOURCE_FRESHNESS_JOB_NAME,
    selection=_SOURCE_FRESHNESS,
    tags=WRITER_TAGS,  # dbt-duckdb opens the warehouse read-write
    description="dbt source freshness of every raw table against its source's release cadence (alerts when stale).",
)


def checks_of(keys) -> list[AssetCheckKey]:
    """The checks a run of these assets evaluates: those the assets declare themselves (the GX gate,
    dbt tests). A run selecting assets without naming checks gets every check on them, the source
    freshness checks too (Dagster subsets from the whole asset graph, not the job's selection), and
    those run on their own (assets/source_freshness.py): runs name their checks with this."""
    wanted = set(keys)
    return sorted(
        (check for asset in ALL_ASSETS for check in asset.check_keys if check.asset_key in wanted),
        key=lambda check: check.to_user_string(),
    )


@cache
def downstream_of(source_keys: frozenset[str]) -> tuple[AssetKey, ...]:
    """The dbt assets and serving snapshot that read these sources' raw tables, however indirectly."""
    raw = AssetSelection.assets(*(raw_asset_key(SOURCES[k]) for k in source_keys))
    keys = raw.downstream().resolve(ALL_ASSETS) - {raw_asset_key(SOURCES[k]) for k in source_keys}
    return tuple(sorted(keys, key=lambda k: k.to_user_string()))


@cache
def transform_keys() -> tuple[AssetKey, ...]:
    return tuple(sorted(_TRANSFORM.resolve(ALL_ASSETS), key=lambda k: k.to_user_string()))


def transform_selection(source_keys: AbstractSet[str], passed_nodes: AbstractSet[str] | None) -> tuple[AssetKey, ...]:
    """What to rebuild after loading these sources: their downstream models, or everything while
    any dbt node has never passed in this warehouse (a fresh home: models the downstream ones read,
    such as seeds and other families' staging, may not exist yet). `passed_nodes` is
    `meta.dbt_node_builds` (None when unknown: rebuild everything)."""
    if passed_nodes is None or unbuilt_nodes(passed_nodes):
        return transform_keys()
    return downstream_of(frozenset(source_keys))


def selection_for_load(source_key: str, passed_nodes: AbstractSet[str] | None) -> list[AssetKey]:
    """The asset selection of one event's run: the source's raw asset and what must rebuild after it."""
    return [raw_asset_key(SOURCES[source_key]), *transform_selection({source_key}, passed_nodes)]
