"""Build the dbt project on Apache Spark (dbt-spark, a local session) from the raw Parquet mirror.

The same models, seeds, snapshot and tests as the DuckDB build; only the profile target differs:

1. sync the Parquet mirror from the warehouse file (only partitions not mirrored yet are written);
2. register each mirrored table as a view in Spark's metastore (`register_raw_parquet`);
3. `dbt build --target spark`: tables are written as Parquet under `<home>/spark/warehouse`.

Both dbt invocations run in this process (dbt's `dbtRunner`), so they share one Spark session and
pay for one JVM start. Run it in a process of its own (`nhs-warehouse build-spark`): the session's
JVM, and its lock on the Derby metastore, last until the process ends.
Needs the `spark` dependency group (`uv sync --group spark`) and Java 17.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

from dagster_project.ingest import parquet_mirror
from dagster_project.settings import DBT_PROJECT_DIR, Settings
from dagster_project.warehouse import open_warehouse

SPARK_TARGET = "spark"


@dataclass
class SparkBuildResult:
    success: bool
    seconds: float
    mirror_files_written: int
    raw_tables: int
    statuses: dict[str, int] = field(default_factory=dict)  # dbt status -> nodes
    failures: list[str] = field(default_factory=list)  # "node: message" for errors and failed tests
    node_seconds: dict[str, float] = field(default_factory=dict)


def sync_mirror(settings: Settings) -> parquet_mirror.MirrorResult:
    with open_warehouse(settings.warehouse_db, read_only=True, timeout_s=settings.lock_timeout_s) as con:
        return parquet_mirror.sync(con, settings.parquet_dir)


def dbt_environment(settings: Settings) -> dict[str, str]:
    """What the `spark` profile target reads from the environment."""
    return {
        "NHS_WAREHOUSE_SPARK_DIR": str(settings.spark_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _common_args(settings: Settings) -> list[str]:
    # A target path of its own: dbt/target holds the DuckDB manifest Dagster loads.
    return [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        SPARK_TARGET,
        "--target-path",
        str(settings.spark_dir / "dbt-target"),
        "--log-path",
        str(settings.spark_dir / "logs"),
    ]


def _invoke(runner, args: list[str]):
    result = runner.invoke(args)
    if result.exception is not None and result.result is None:
        raise RuntimeError(f"dbt {args[0]} on Spark failed: {result.exception}") from result.exception
    return result


def build_on_spark(settings: Settings, dbt_args: tuple[str, ...] = ()) -> SparkBuildResult:
    """Sync the mirror, register it in Spark and run `dbt build` on the Spark target."""
    from dbt.cli.main import dbtRunner  # dbt imports in ~2 s; only this command needs it here

    started = time.perf_counter()
    settings.spark_dir.mkdir(parents=True, exist_ok=True)
    mirror = sync_mirror(settings)
    tables = [
        {"schema": schema, "table": table, "path": str(folder)}
        for schema, table, folder in parquet_mirror.mirrored_tables(settings.parquet_dir)
    ]
    saved = {k: os.environ.get(k) for k in dbt_environment(settings)}
    os.environ.update(dbt_environment(settings))
    try:
        runner = dbtRunner()
        common = _common_args(settings)
        registered = _invoke(runner, ["run-operation", "register_raw_parquet", *common, "--args", json.dumps({"tables": tables})])
        if not registered.success:
            raise RuntimeError(f"registering the Parquet mirror in Spark failed: {registered.exception}")
        built = _invoke(runner, ["build", *common, *dbt_args])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    summary = SparkBuildResult(
        success=built.success,
        seconds=time.perf_counter() - started,
        mirror_files_written=len(mirror.written),
        raw_tables=len(tables),
    )
    for node_result in built.result or []:
        status = str(node_result.status)
        summary.statuses[status] = summary.statuses.get(status, 0) + 1
        summary.node_seconds[node_result.node.unique_id] = node_result.execution_time or 0.0
        # A warn-severity test (e.g. "a year of published figures is not loaded") is reported,
        # not a failure, as in the DuckDB build.
        if status in ("error", "fail"):
            summary.failures.append(f"{node_result.node.unique_id}: {node_result.message}")
    return summary
