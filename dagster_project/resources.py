"""Dagster resources: the warehouse home (landing store, gate, paths) beside dagster-duckdb and dbt."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

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
