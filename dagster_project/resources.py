"""Dagster resources: the warehouse home (landing store, gate, paths) beside dagster-duckdb and dbt."""

from __future__ import annotations

import importlib.metadata
from functools import cache, cached_property
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version

from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.partitions import PartitionLoader
from dagster_project.ingest.spec import SourceSpec
from dagster_project.settings import Settings, load_settings
from dagster_project.warehouse import warehouse_config


@cache
def _gate(validation_dir: str):
    # One GX context per process and home: creating one costs seconds.
    from dagster_project.validation.gate import Gate

    return Gate(Path(validation_dir))


class WarehouseResource(ConfigurableResource):
    """Where the warehouse lives. Everything else (paths, stores, the gate) derives from `home`."""

    home: str

    @property
    def settings(self) -> Settings:
        return load_settings().replace(home=Path(self.home))

    def store(self) -> LandingStore:
        settings = self.settings
        return LandingStore(settings.landing_dir, settings.quarantine_dir)

    def gate(self):
        return _gate(str(self.settings.validation_dir))

    def loader(self, spec: SourceSpec) -> PartitionLoader:
        settings = self.settings
        return PartitionLoader(spec, self.store(), self.gate(), settings.home / "pending", mirror_dir=settings.parquet_dir)


def duckdb_resource(settings: Settings) -> DuckDBResource:
    return DuckDBResource(database=str(settings.warehouse_db), connection_config=warehouse_config(settings))


class WarehouseDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without the two things each `cli()` call paid before dbt started
    (about 5 s of every build step and freshness check here, measured with cProfile):

    - `dbt --version` in a subprocess (2.2 s) to learn dbt's version: dbt is the dbt-core package of
      this environment (assets/dbt_project.py runs the `dbt` beside this Python), so its version is
      the installed package's;
    - a dbt adapter built in this process, with the project's macros parsed (2.8 s): dagster-dbt uses
      it only for `fetch_row_counts()` / `fetch_column_metadata()`, which this warehouse does not call
      (DuckDB lets only dbt's process hold the file while dbt runs; assets/table_metadata.py reads the
      tables once dbt has exited).

    Both are private methods of dagster-dbt 0.29 (`DbtCliResource._cli_version`,
    `_initialize_dbt_core_adapter`); tests/unit/test_dbt_resource.py fails if they change.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # type: ignore[override]
        return None
