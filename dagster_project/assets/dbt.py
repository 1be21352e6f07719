"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as asset checks.

dbt sources map to the raw assets (through `meta.dagster.asset_key` in the sources YAML), so lineage
runs publisher -> raw -> staging -> marts -> serving in one graph. Models follow their upstream data
by declarative automation (automation/conditions.py): a new raw partition rebuilds what depends on it.
"""

import datetime as dt
import json
import os
import shutil
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AutomationCondition, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from dagster_project.assets.dbt_project import dbt_project, require_manifest
from dagster_project.assets.table_metadata import PREVIEW_ROWS, owners_of, table_metadata
from dagster_project.serving.publish import Description
from dagster_project.settings import Settings
from dagster_project.ingest.load import ensure_raw_tables
from dagster_project.resources import WarehouseResource
from dagster_project.sources import SOURCES
from dagster_project.warehouse import open_warehouse

PARTIAL_PARSE = "partial_parse.msgpack"


class WarehouseDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # fqn: [project, layer, family, ..., name]; seeds: [project, folder, name]
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[2] if len(fqn) > 3 else (fqn[1] if len(fqn) > 2 else None)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return owners_of(self.get_group_name(dbt_resource_props))

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 1 and fqn[1] == "marts":
            # Where a published number came from, asked of the number itself (dagster_project/explain.py).
            metadata["explain"] = f'nhs-warehouse explain {dbt_resource_props["name"]} --where "<predicate>" --column <column>'
        return metadata

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        from dagster_project.automation.conditions import model_follows_upstream

        # Seeds are reference data in the repository: a load run builds them with everything else
        # while the warehouse has never been built (assets/catalog.py). Automating them on
        # "missing" made a new Dagster instance over a built home rebuild every model.
        if dbt_resource_props.get("resource_type") == "seed":
            return None
        return model_follows_upstream()


translator = WarehouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=require_manifest(), project=dbt_project, dagster_dbt_translator=translator, pool="duckdb_writer")
def warehouse_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # Sources with nothing loaded yet read as empty tables rather than failing every model after them.
    with open_warehouse(warehouse.settings.warehouse_db) as con:
        ensure_raw_tables(con, SOURCES.values())
        passed = {row[0] for row in con.execute("select unique_id from meta.dbt_node_builds").fetchall()}
    # The formulas' dbt unit tests check the SQL, not the data: they run in `make test`
    # (tests/integration/test_dbt_unit_tests.py), not in every load's build.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if unbuilt_nodes(passed):
        # Until every model has been built once in this warehouse (a fresh home filled one subset at
        # a time), dbt's default (eager) indirect selection would run tests that join a selected model
        # to one not built yet (relationships, singular tests) and fail on a missing table.
        # `buildable` runs only the tests whose parents are all selected or upstream of the selection.
        args += ["--indirect-selection", "buildable"]
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    settings = warehouse.settings
    with dbt_run_folder(settings, settings.dbt_runs_dir, context.run.run_id, started) as target_path:
        invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=target_path)
        try:
            # Held until dbt exits: the row counts and column types come from the warehouse file, which
            # dbt's process holds while it runs (assets/table_metadata.py). A build's dbt step is seconds.
            events = list(invocation.stream())
        finally:
            keep_compiled_sql(target_path, settings.dbt_compiled_sql)
    with open_warehouse(warehouse.settings.warehouse_db, read_only=True) as con:
        yield from with_table_metadata(events, con, invocation.manifest)
    # Every node that passed has built or checked the rows loaded before this build began, whether
    # the build was complete or a subset, and whether other nodes failed: its next build works only
    # on rows loaded since (macros/changed_since.sql). A node that failed or was skipped keeps its mark.
    with open_warehouse(warehouse.settings.warehouse_db) as con:
        record_passed_nodes(con, _passed_nodes(invocation), started)
    if error := invocation.get_error():
        raise error


def with_table_metadata(events, con, manifest: Mapping[str, Any]):
    """Each model's or seed's output with its table's row count, column schema (DuckDB's types, the
    YAML's descriptions) and name; other events as they were."""
    nodes = manifest["nodes"]
    for event in events:
        unique_id = event.metadata.get("unique_id") if isinstance(event, Output) else None
        node = nodes.get(getattr(unique_id, "value", unique_id))
        if node and node["resource_type"] in ("model", "seed", "snapshot"):
            descriptions = {name: column.get("description") for name, column in node.get("columns", {}).items()}
            # The marts BI reads (meta.publish) show their first rows on the asset page too.
            preview = PREVIEW_ROWS if node.get("config", {}).get("meta", {}).get("publish") else 0
            table = table_metadata(con, node["schema"], node.get("alias") or node["name"], descriptions, preview)
            if table:
                event = event.with_metadata({**event.metadata, **table})
        yield event


@contextmanager
def dbt_run_folder(settings: Settings, runs_dir: Path, run_id: str, started: dt.datetime) -> Iterator[Path]:
    """A new dbt target folder under `runs_dir` for one dbt invocation on this home's warehouse: dbt
    starts from the parse state this home's last invocation left, the state it writes is kept for the
    next, and only the newest `dbt_runs_kept` folders of `runs_dir` stay."""
    os.environ["NHS_WAREHOUSE_DB"] = str(settings.warehouse_db)  # the dbt profile reads the path from here
    target_path = runs_dir / f"{started:%Y%m%dT%H%M%S}-{run_id[:8]}"
    reuse_partial_parse(settings.dbt_runs_dir, target_path)
    try:
        yield target_path
    finally:
        keep_partial_parse(target_path, settings.dbt_runs_dir)
        prune_dbt_runs(runs_dir, keep=settings.dbt_runs_kept)


def keep_compiled_sql(target_path: Path, kept_path: Path) -> None:
    """Keep the newest compiled SQL of every node this home has built, beside the runs folder.

    A build compiles only what it selects, and old run folders are pruned, so the SQL of a mart not
    rebuilt lately would be lost; `nhs-warehouse explain` reads a column's lineage from it."""
    manifest = target_path / "manifest.json"
    if not manifest.exists():
        return
    try:
        kept = json.loads(kept_path.read_text()) if kept_path.exists() else {}
    except ValueError:
        kept = {}
    for unique_id, node in json.loads(manifest.read_text()).get("nodes", {}).items():
        if node.get("compiled_code"):
            kept[unique_id] = node["compiled_code"]
    temporary = kept_path.with_name(f".{kept_path.name}.tmp")
    temporary.write_text(json.dumps(kept))
    temporary.replace(kept_path)


def reuse_partial_parse(runs_dir: Path, target_path: Path) -> None:
    """Start a build from the parse state this home's last build left, so dbt re-parses only what changed.

    dbt hashes its connection settings into the parse state, and the profile's `path` is the
    warehouse file of this home (NHS_WAREHOUSE_DB): the state `dagster-dbt` copies from the project's
    own target folder was written without it, so every build parsed the whole project again ("Unable
    to do partial parsing because profile has changed": 6-8 s of each build here). Each home keeps
    the state its own builds wrote; dbt still re-parses any file whose checksum changed.
    """
    kept = runs_dir.parent / PARTIAL_PARSE  # beside the runs folder, which holds only run folders
    if kept.exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, target_path / PARTIAL_PARSE)


def keep_partial_parse(target_path: Path, runs_dir: Path) -> None:
    written = target_path / PARTIAL_PARSE
    if written.exists():
        temporary = runs_dir.parent / f".{PARTIAL_PARSE}.tmp"
        shutil.copyfile(written, temporary)
        temporary.replace(runs_dir.parent / PARTIAL_PARSE)  # atomic: a concurrent reader sees old or new, whole


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


@cache
def manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


# The nodes a build materialises in the warehouse (tests only check them).
BUILT_TYPES = ("model", "seed", "snapshot")


def unbuilt_nodes(passed_nodes: AbstractSet[str]) -> list[str]:
    """dbt models, seeds and snapshots that have never passed a build in this warehouse."""
    return sorted(
        unique_id
        for unique_id, node in manifest()["nodes"].items()
        if node["resource_type"] in BUILT_TYPES and unique_id not in passed_nodes
    )


def _published_nodes() -> list[dict]:
    return [
        node
        for node in manifest()["nodes"].values()
        if node["resource_type"] == "model" and node.get("config", {}).get("meta", {}).get("publish")
    ]


def _table(node: dict) -> str:
    return f"{node['schema']}.{node['alias'] or node['name']}"


def published_models() -> list[tuple[AssetKey, str]]:
    """(asset key, `schema.table`) of every model marked `meta.publish` (the marts), from the manifest."""
    return sorted(((translator.get_asset_key(node), _table(node)) for node in _published_nodes()), key=lambda item: item[1])


def published_descriptions() -> dict[str, Description]:
    """`schema.table` -> what the model's YAML says of it and of each column, for the serving DB's
    comments (what BI tools and `duckdb` show beside a view and its columns)."""
    return {
        _table(node): Description(
            " ".join((node.get("description") or "").split()),
            {name: " ".join((c.get("description") or "").split()) for name, c in node.get("columns", {}).items()},
        )
        for node in _published_nodes()
    }


def published_partitions() -> dict[str, str]:
    """`schema.table` -> column, for the marts published as one Parquet file per value of a column
    (`meta.publish_partition_by` in the model's YAML: the fact tables that grow by month)."""
    return {
        _table(node): node["config"]["meta"]["publish_partition_by"]
        for node in _published_nodes()
        if node["config"]["meta"].get("publish_partition_by")
    }
