"""dbt source freshness as an asset check on each raw asset: has a load run within its source's cadence?

Each raw table's `freshness` in the dbt sources YAML is its SourceSpec's release cadence, the same
window Dagster's freshness policy on the raw asset uses (`Cadence.overdue_after`;
`nhs-warehouse check-registry` holds the YAML to the spec). dbt measures it from the data itself:
the newest `_loaded_at` in the raw table. Dagster's measures it from the asset's last materialisation.

The checks run as one `dbt source freshness` invocation over the selected sources (a second or two of
queries after dbt's start-up), in the `check_source_freshness` job: at the end of `nhs-warehouse
build` when it rebuilt the marts after several sources (or `--force`), and nightly by schedule
(automation/freshness.py), since a source goes stale precisely when nothing runs. The check's result reaches the alert path through the
run alert sensor, as a failed dbt test does, under the same alert as Dagster's own freshness verdict
(`asset_overdue:<source>`), so one overdue source is one incident, not two.

dbt's statuses: `pass` passes; `warn` fails at WARN severity (the UI shows it, nothing pages);
`error` (stale) and `runtime error` (e.g. the raw table is missing) fail at ERROR severity and alert.
A table never loaded fails at WARN: the nightly reconciliation already reports a source whose
periods never landed (automation/freshness.py).
"""

import datetime as dt
from collections.abc import Iterator
from functools import cache

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    multi_asset_check,
)
from dagster_dbt import DbtCliResource

from dagster_project.assets.dbt import dbt_run_folder, manifest
from dagster_project.assets.raw import raw_asset_key
from dagster_project.resources import WarehouseResource
from dagster_project.sources import SOURCES
from dagster_project.assets.check_names import SOURCE_FRESHNESS_CHECK as CHECK_NAME


# What dbt reports as the newest _loaded_at of an empty table (max() of no rows, coalesced by dbt).
NEVER = "0001-01-01"


@cache
def dbt_sources() -> dict[str, str]:
    """Source key -> dbt's `source:<source>.<table>` selector of its main raw table, for every source
    whose table declares freshness in the manifest."""
    found = {}
    for node in manifest()["sources"].values():
        criteria = node.get("freshness") or {}
        declared = any((criteria.get(k) or {}).get("count") for k in ("warn_after", "error_after"))
        if node["schema"] == "raw" and node["name"] in SOURCES and declared:
            found[node["name"]] = f"source:{node['source_name']}.{node['name']}"
    return found


def _specs() -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            CHECK_NAME,
            asset=raw_asset_key(SOURCES[key]),
            description=(
                f"dbt source freshness of raw.{key}: the newest _loaded_at against the source's "
                f"{SOURCES[key].release_cadence.every} release cadence (warn after {warn.days} days, error after {fail.days})."
            ),
        )
        for key in sorted(dbt_sources())
        for warn, fail in [SOURCES[key].release_cadence.overdue_after]
    ]


def result_for(key: str, result: dict | None, error: str | None = None) -> AssetCheckResult:
    """One source's entry of dbt's `sources.json` as the check's result. dbt leaves a source it could
    not measure (a runtime error) out of that file; its error message comes from dbt's log instead."""
    asset = raw_asset_key(SOURCES[key])
    if result is None:
        return AssetCheckResult(
            asset_key=asset,
            check_name=CHECK_NAME,
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            description=f"dbt could not measure raw.{key}: "
            + (" ".join(error.split())[:500] if error else "no result (see the run's dbt log)"),
            metadata={"status": "runtime error"},
        )
    status = result["status"]
    criteria = result.get("criteria") or {}
    metadata = {
        "status": status,
        "warn_after_days": (criteria.get("warn_after") or {}).get("count"),
        "error_after_days": (criteria.get("error_after") or {}).get("count"),
    }
    if result["max_loaded_at"].startswith(NEVER):
        # Nothing is late relative to a load that never happened: the nightly reconciliation reports a
        # source whose periods have not landed (automation/freshness.py). Shown in the UI, not paged.
        return AssetCheckResult(
            asset_key=asset,
            check_name=CHECK_NAME,
            passed=False,
            severity=AssetCheckSeverity.WARN,
            description=f"raw.{key} has never been loaded",
            metadata=metadata | {"never_loaded": True},
        )
    age = dt.timedelta(seconds=result["max_loaded_at_time_ago_in_s"])
    loaded = result["max_loaded_at"]
    metadata |= {"max_loaded_at": loaded, "age_days": round(age.total_seconds() / 86400, 1)}
    description = f"newest _loaded_at {loaded} ({metadata['age_days']} days ago): {status}"
    return AssetCheckResult(
        asset_key=asset,
        check_name=CHECK_NAME,
        passed=status == "pass",
        # A pass is reported at ERROR severity so that it resolves an open overdue alert.
        severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
        description=description,
        metadata=metadata,
    )


@multi_asset_check(specs=_specs(), can_subset=True, name="source_freshness", compute_kind="dbt")
def source_freshness_checks(
    context: AssetCheckExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    settings = warehouse.settings
    selected: list[AssetCheckKey] = sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.to_user_string())
    keys = [k.asset_key.path[-1] for k in selected]
    selectors = dbt_sources()
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    # Beside the builds' run folders, not among them: a freshness run is pruned with its own kind and
    # never pushes a build's results out of the kept ones.
    freshness_dir = settings.dbt_runs_dir.parent / "freshness_runs"
    errors = {}
    with dbt_run_folder(settings, freshness_dir, context.run.run_id, started) as target_path:
        invocation = dbt.cli(
            ["source", "freshness", "--select", " ".join(selectors[k] for k in keys)],
            manifest=manifest(),
            raise_on_error=False,
            target_path=target_path,
        )
        try:
            for event in invocation.stream_raw_events():
                if event.raw_event["info"]["name"] == "RunResultError":
                    data = event.raw_event["data"]
                    errors[(data.get("node_info") or {}).get("node_name")] = data.get("msg", "")
            results = invocation.get_artifact("sources.json")["results"]
        except FileNotFoundError:  # dbt ended before measuring anything; each check says so
            results = []
    by_table = {r["unique_id"].rsplit(".", 1)[-1]: r for r in results}
    for key in keys:
        yield result_for(key, by_table.get(key), errors.get(key))
