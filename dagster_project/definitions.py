"""The single Definitions object: assets, checks, jobs, sensors, schedules and resources."""

from __future__ import annotations

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus, Definitions

from dagster_project.assets.catalog import ALL_ASSETS, LOAD_JOBS, MARTS_JOB, SOURCE_FRESHNESS_JOB, WRITER_TAGS
from dagster_project.assets.source_freshness import source_freshness_checks
from dagster_project.assets.dbt_project import dbt_executable, dbt_project
from dagster_project.automation.freshness import build_freshness_schedule, build_source_freshness_schedule
from dagster_project.automation.landing import build_landing_sensor
from dagster_project.automation.publications import build_publication_sensor
from dagster_project.alerting.run_alerts import build_run_alert_sensor
from dagster_project.executors import executor_for
from dagster_project.resources import WarehouseDbtCliResource, WarehouseResource, duckdb_resource
from dagster_project.settings import Settings, load_settings
from dagster_project.sources import SOURCES


def build_sensors(settings: Settings) -> list:
    publications = [build_publication_sensor(spec, settings) for spec in SOURCES.values()]
    return [
        build_landing_sensor(settings),
        *[s for s in publications if s is not None],
        build_run_alert_sensor(settings),
        # dbt models and the serving snapshot follow raw loads by their automation conditions when
        # something other than a load run changed them (a load run rebuilds its downstream itself).
        AutomationConditionSensorDefinition(
            "marts_follow_raw",
            target=AssetSelection.all(),
            default_status=DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=settings.automation_interval_s,
            run_tags=WRITER_TAGS,
        ),
    ]


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or load_settings()
    return Definitions(
        assets=ALL_ASSETS,
        asset_checks=[source_freshness_checks],
        jobs=[*LOAD_JOBS, MARTS_JOB, SOURCE_FRESHNESS_JOB],
        sensors=build_sensors(settings),
        schedules=[
            *(build_freshness_schedule(spec, settings) for spec in SOURCES.values()),
            build_source_freshness_schedule(settings),
        ],
        # In-process by default (executors.py says why); k8s or celery for a deployment (deploy/).
        executor=executor_for(settings.executor),
        resources={
            "duckdb": duckdb_resource(settings),
            "dbt": WarehouseDbtCliResource(
                # DbtCliResource's own __init__ takes a DbtProject here; mypy sees the subclass's pydantic field (str).
                project_dir=dbt_project,  # type: ignore[arg-type]
                profiles_dir=str(dbt_project.project_dir),
                dbt_executable=dbt_executable(),
            ),
            "warehouse": WarehouseResource(home=str(settings.home)),
        },
    )


defs = build_definitions()
