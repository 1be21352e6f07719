"""The single Definitions object: assets, checks, jobs, sensors, schedules and resources."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    Definitions,
    define_asset_job,
    in_process_executor,
)
from dagster_dbt import DbtCliResource

from dagster_project.assets.dbt import dbt_executable, dbt_project, warehouse_dbt_assets
from dagster_project.assets.raw import build_raw_asset, raw_asset_key
from dagster_project.assets.serving import serving_marts
from dagster_project.resources import WarehouseResource, duckdb_resource
from dagster_project.settings import Settings, load_settings
from dagster_project.sources import SOURCES

RAW_ASSETS = {key: build_raw_asset(spec) for key, spec in SOURCES.items()}

# Runs that write the warehouse carry this tag; the instance limits them to one at a time.
WRITER_TAGS = {"nhs_warehouse/writer": "duckdb"}


def raw_job_name(source_key: str) -> str:
    return f"load_{source_key}"


RAW_JOBS = [
    define_asset_job(raw_job_name(key), selection=AssetSelection.assets(raw_asset_key(spec)), tags=WRITER_TAGS)
    for key, spec in SOURCES.items()
]
MARTS_JOB = define_asset_job(
    "build_marts",
    selection=AssetSelection.assets(warehouse_dbt_assets, serving_marts),
    tags=WRITER_TAGS,
    description="dbt build (staging, marts, tests) then publish the serving snapshot.",
)


def build_sensors(settings: Settings) -> list:
    from dagster_project.automation.landing import build_landing_sensor
    from dagster_project.automation.publications import build_publication_sensor
    from dagster_project.automation.run_alerts import build_run_alert_sensor

    jobs = {job.name: job for job in RAW_JOBS}
    publications = [build_publication_sensor(spec, settings, jobs[raw_job_name(key)]) for key, spec in SOURCES.items()]
    return [
        build_landing_sensor(settings, list(jobs.values())),
        *[s for s in publications if s is not None],
        build_run_alert_sensor(settings),
        # dbt models and the serving snapshot follow raw loads by their automation conditions.
        AutomationConditionSensorDefinition(
            "marts_follow_raw",
            target=AssetSelection.all(),
            default_status=DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=settings.automation_interval_s,
            run_tags=WRITER_TAGS,
        ),
    ]


def build_schedules(settings: Settings) -> list:
    from dagster_project.automation.freshness import build_freshness_schedule

    jobs = {job.name: job for job in RAW_JOBS}
    return [build_freshness_schedule(spec, settings, jobs[raw_job_name(key)]) for key, spec in SOURCES.items()]


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or load_settings()
    return Definitions(
        assets=[*RAW_ASSETS.values(), warehouse_dbt_assets, serving_marts],
        jobs=[*RAW_JOBS, MARTS_JOB],
        sensors=build_sensors(settings),
        schedules=build_schedules(settings),
        # One process per run, not one per step: a step's process start (imports, GX) costs seconds
        # and the writer pool runs steps one at a time anyway.
        executor=in_process_executor,
        resources={
            "duckdb": duckdb_resource(settings),
            "dbt": DbtCliResource(
                project_dir=dbt_project, profiles_dir=str(dbt_project.project_dir), dbt_executable=dbt_executable()
            ),
            "warehouse": WarehouseResource(home=str(settings.home)),
        },
    )


defs = build_definitions()
