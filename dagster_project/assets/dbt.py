"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as asset checks.

dbt sources map to the raw assets (through `meta.dagster.asset_key` in the sources YAML), so lineage
runs publisher -> raw -> staging -> marts -> serving in one graph. Models follow their upstream data
by declarative automation (automation/conditions.py): a new raw partition rebuilds what depends on it.
"""


import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

from dagster import AssetExecutionContext, AssetKey, AutomationCondition
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from dagster_project.ingest.load import ensure_raw_tables
from dagster_project.resources import WarehouseResource
from dagster_project.settings import DBT_PROJECT_DIR
from dagster_project.sources import SOURCES
from dagster_project.warehouse import open_warehouse

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
_SOURCE_DIRS = ("models", "macros", "seeds", "tests", "snapshots")


def _newest_source_mtime(project_dir: Path) -> float:
    files = [project_dir / "dbt_project.yml"]
    for folder in _SOURCE_DIRS:
        files.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in files)


def dbt_executable() -> str:
    """dbt from this environment, even when the venv is not activated (e.g. `.venv/bin/nhs-warehouse`)."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or older than any project file (~10 s).

    What `dagster-dbt project prepare-and-package` does at deploy time, done on demand so a fresh
    clone, the CLI and `dagster dev` always load a manifest that matches the models.
    """
    manifest = project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(Path(project.project_dir)):
        return manifest
    result = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(project.project_dir),
         "--profiles-dir", str(project.profiles_dir), "--target-path", str(project.target_path)],
        capture_output=True, text=True, env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )
    if result.returncode != 0 or not manifest.exists():
        raise RuntimeError(f"dbt parse failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return manifest


class WarehouseDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # fqn: [project, layer, family, ..., name]; seeds: [project, folder, name]
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[2] if len(fqn) > 3 else (fqn[1] if len(fqn) > 2 else None)

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        from dagster_project.automation.conditions import model_follows_upstream, seed_when_missing

        if dbt_resource_props.get("resource_type") == "seed":
            return seed_when_missing()
        return model_follows_upstream()


translator = WarehouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
ensure_manifest()


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator, pool="duckdb_writer")
def warehouse_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # dbt runs as a subprocess; the profile reads the warehouse file's path from the environment.
    os.environ["NHS_WAREHOUSE_DB"] = str(warehouse.settings.warehouse_db)
    # Sources with nothing loaded yet read as empty tables rather than failing every model after them.
    with open_warehouse(warehouse.settings.warehouse_db) as con:
        ensure_raw_tables(con, SOURCES.values())
    args = ["build"]
    if _partially_built(context):
        # Until every model has been built once (a fresh home filled by automation, one subset at a
        # time), dbt's default (eager) indirect selection would run tests that join a selected model
        # to one not built yet (relationships, singular tests) and fail on a missing table.
        # `buildable` runs only the tests whose parents are all selected or upstream of the selection.
        args += ["--indirect-selection", "buildable"]
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    settings = warehouse.settings
    target_path = settings.dbt_runs_dir / f"{started:%Y%m%dT%H%M%S}-{context.run.run_id[:8]}"
    invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=target_path)
    try:
        yield from invocation.stream()
    finally:
        prune_dbt_runs(settings.dbt_runs_dir, keep=settings.dbt_runs_kept)
    # Every node that passed has built or checked the rows loaded before this build began, whether
    # the build was complete or a subset, and whether other nodes failed: its next build works only
    # on rows loaded since (macros/changed_since.sql). A node that failed or was skipped keeps its mark.
    with open_warehouse(warehouse.settings.warehouse_db) as con:
        record_passed_nodes(con, _passed_nodes(invocation), started)
    if error := invocation.get_error():
        raise error


def prune_dbt_runs(runs_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` dbt target folders (one per build: manifest, run results,
    compiled SQL, logs; about 16 MB each, so a warehouse that builds daily would fill its disk)."""
    folders = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.name) if runs_dir.is_dir() else []
    removed = folders[: max(len(folders) - keep, 0)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


PASSED = {"success", "pass", "warn"}  # dbt's statuses for a model built and a test passed (or only warned)


def _passed_nodes(invocation) -> list[str]:
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except FileNotFoundError:  # dbt ended before writing any result
        return []
    return [r["unique_id"] for r in results if r["status"] in PASSED]


def record_passed_nodes(con, unique_ids: list[str], started: dt.datetime) -> None:
    if not unique_ids:
        return
    finished = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    con.executemany(
        "insert or replace into meta.dbt_node_builds values (?, ?, ?)",
        [[unique_id, started, finished] for unique_id in unique_ids],
    )


def _partially_built(context: AssetExecutionContext) -> bool:
    keys = list(context.assets_def.keys)
    latest = context.instance.get_latest_materialization_events(keys)
    return any(latest.get(key) is None for key in keys)


def _published_nodes() -> list[dict]:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return [
        node for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("config", {}).get("meta", {}).get("publish")
    ]


def _table(node: dict) -> str:
    return f"{node['schema']}.{node['alias'] or node['name']}"


def published_models() -> list[tuple[AssetKey, str]]:
    """(asset key, `schema.table`) of every model marked `meta.publish` (the marts), from the manifest."""
    return sorted(((translator.get_asset_key(node), _table(node)) for node in _published_nodes()), key=lambda item: item[1])


def published_partitions() -> dict[str, str]:
    """`schema.table` -> column, for the marts published as one Parquet file per value of a column
    (`meta.publish_partition_by` in the model's YAML: the fact tables that grow by month)."""
    return {
        _table(node): node["config"]["meta"]["publish_partition_by"]
        for node in _published_nodes()
        if node["config"]["meta"].get("publish_partition_by")
    }
