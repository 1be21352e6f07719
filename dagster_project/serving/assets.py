"""The serving snapshot BI tools read: every mart as Parquet plus `serving/marts.duckdb` of views."""

from dagster import AssetExecutionContext, AssetKey, AutomationCondition, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from dagster_project.assets.dbt import published_descriptions, published_models, published_partitions
from dagster_project.serving.publish import publish
from dagster_project.resources import WarehouseResource

PUBLISHED = published_models()
PARTITIONED = published_partitions()


@asset(
    key=AssetKey(["serving", "marts"]),
    group_name="serving",
    deps=[key for key, _ in PUBLISHED],
    kinds={"duckdb", "parquet"},
    pool="duckdb_writer",
    automation_condition=AutomationCondition.eager(),
    description=(
        "The published read-only snapshot for BI tools: each mart as Parquet in a new version folder "
        "(files unchanged since the last publication hard-linked, not rewritten), and "
        "serving/marts.duckdb (views over it) renamed into place atomically. Blocked when any "
        "mart's checks fail, so the last good snapshot stays published."
    ),
)
def serving_marts(context: AssetExecutionContext, duckdb: DuckDBResource, warehouse: WarehouseResource) -> MaterializeResult:
    settings = warehouse.settings
    with duckdb.get_connection() as con:
        result = publish(
            con,
            [table for _, table in PUBLISHED],
            settings.serving_dir,
            grace_s=settings.publish_grace_s,
            partition_by=PARTITIONED,
            descriptions=published_descriptions(),
        )
    context.log.info(f"published version {result.version}: {len(result.tables)} marts to {result.serving_db}")
    return MaterializeResult(
        metadata={
            "version": result.version,
            "serving_db": MetadataValue.path(str(result.serving_db)),
            "rows": MetadataValue.json(result.tables),
            "parquet_files_written": result.files_written,
            "parquet_files_linked": result.files_linked,
            "removed_versions": len(result.removed_versions),
            "versions_kept_open_by_readers": len(result.held_versions),
        }
    )
