"""Raw assets, one per source spec: load pending partitions through the validation gate.

Each asset is partitioned by its source's scheme and loads a whole range of partitions in one run
(`BackfillPolicy.single_run()`), gated in one validation: a run and a validation each cost far
more to start than to work on one month. Its Great Expectations gate is a blocking asset check: when any partition
in the run fails, the check fails and the dbt models downstream do not run; the failing file is in
quarantine and the raw table keeps its previous vintage.
"""

from dagster import (
    FreshnessPolicy,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from dagster_duckdb import DuckDBResource

from dagster_project.assets.partitions import partitions_for
from dagster_project.assets.table_metadata import owners_of, table_metadata
from dagster_project.ingest.load import LINEAGE_DESCRIPTIONS
from dagster_project.ingest.partitions import PartitionOutcome
from dagster_project.ingest.spec import SourceSpec
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse import META_DDL
from dagster_project.assets.check_names import GATE_CHECK

# Every asset that writes the warehouse file runs in this pool (limit 1 in the instance config), so
# runs queue instead of fighting over DuckDB's single-writer lock.
DUCKDB_WRITER_POOL = "duckdb_writer"


def raw_asset_key(spec: SourceSpec) -> AssetKey:
    return AssetKey(["raw", spec.key])


def _outcome_table(outcomes: list[PartitionOutcome]) -> str:
    lines = ["| partition | status | file | rows | note |", "|---|---|---|---|---|"]
    for o in outcomes:
        note = o.message.replace("|", "\\|").replace("\n", " ")[:300]
        lines.append(f"| {o.period} | {o.status} | {o.file_name or ''} | {o.rows} | {note} |")
    return "\n".join(lines)


def _failure_details(outcomes: list[PartitionOutcome]) -> list[dict]:
    details = []
    for o in outcomes:
        if not o.failed:
            continue
        failing = [f.describe() for f in getattr(o.gate, "failures", [])] if o.gate else []
        details.append(
            {
                "partition": o.period,
                "file": o.file_name,
                "file_sha256": o.file_sha256,
                "reason": (o.error or {}).get("reason"),
                "row": (o.error or {}).get("row"),
                "column": (o.error or {}).get("column"),
                "message": o.message,
                "failed_expectations": failing,
            }
        )
    return details


def column_schema(spec: SourceSpec) -> TableSchema:
    """The raw table's columns with the spec's descriptions, for the asset's page in the Dagster UI."""
    return TableSchema(
        columns=[
            TableColumn(
                c.name, c.duckdb_type.lower(), description=c.description or None, tags={"required": str(c.required).lower()}
            )
            for c in spec.columns
        ]
    )


def build_raw_asset(spec: SourceSpec) -> AssetsDefinition:
    key = raw_asset_key(spec)

    @asset(
        key=key,
        group_name=spec.family,
        partitions_def=partitions_for(spec),
        backfill_policy=BackfillPolicy.single_run(),
        pool=DUCKDB_WRITER_POOL,
        kinds={"duckdb", "python"},
        owners=owners_of(spec.family),
        # Dagster's own freshness (evaluated by the daemon, shown in the UI; alerting/overdue.py alerts
        # on it), from the same cadence the nightly lateness check reads.
        freshness_policy=FreshnessPolicy.time_window(
            warn_window=spec.release_cadence.overdue_after[0], fail_window=spec.release_cadence.overdue_after[1]
        ),
        description=f"{spec.title} ({spec.publisher}), loaded into {spec.raw_table} through the expectation gate.",
        metadata={
            "publisher": spec.publisher,
            "provenance": spec.provenance,
            "raw_table": spec.raw_table,
            "expectation_suite": MetadataValue.path(str(spec.suite_path)),
            "partitioning": spec.partitioning,
            "row_key": ", ".join(spec.row_key),
            "dagster/column_schema": column_schema(spec),
        },
        check_specs=[
            AssetCheckSpec(
                GATE_CHECK,
                asset=key,
                blocking=True,
                description=f"Great Expectations suite expectations/{spec.key}.json passes for every partition loaded in the run.",
            )
        ],
    )
    def raw_asset(context: AssetExecutionContext, duckdb: DuckDBResource, warehouse: WarehouseResource):
        loader = warehouse.loader(spec)
        with duckdb.get_connection() as con:
            con.execute(META_DDL)
            # Every partition of the run is staged and gated together (one validation, not one each).
            outcomes: list[PartitionOutcome] = loader.load_many(con, list(context.partition_keys))
            described = {c.name: c.description for c in spec.columns if c.description} | LINEAGE_DESCRIPTIONS
            table = table_metadata(con, "raw", spec.key, described)
        for outcome in outcomes:
            if outcome.status != "no_file":
                log = context.log.warning if outcome.failed else context.log.info
                log(f"{spec.key} {outcome.period}: {outcome.status} {outcome.file_name or ''} {outcome.message}")
        gated = [o for o in outcomes if o.gate is not None]
        docs = warehouse.gate().build_docs() if gated else None
        loaded = [o for o in outcomes if o.status == "loaded"]
        failed = [o for o in outcomes if o.failed]
        yield MaterializeResult(
            metadata={
                "partitions_loaded": len(loaded),
                "partitions_unchanged": sum(o.status == "unchanged" for o in outcomes),
                "partitions_quarantined": len(failed),
                "rows_loaded": sum(o.rows for o in loaded),
                "outcomes": MetadataValue.md(_outcome_table([o for o in outcomes if o.status != "no_file"])),
                **table,
            }
        )
        yield AssetCheckResult(
            check_name=GATE_CHECK,
            asset_key=key,
            passed=not failed,
            severity=AssetCheckSeverity.ERROR,
            description=(
                f"{len(failed)} of {len(outcomes)} partitions failed; files quarantined, previous vintages kept"
                if failed
                else f"{len(gated)} partitions validated"
            ),
            metadata={
                "failures": MetadataValue.json(_failure_details(outcomes)),
                # Partitions whose new vintage passed and was swapped in (alerts resolve on these).
                "partitions_passed": MetadataValue.json(
                    [{"partition": o.period, "file": o.file_name, "file_sha256": o.file_sha256} for o in loaded]
                ),
                "partitions_validated": len(gated),
                "data_docs": MetadataValue.path(str(docs)) if docs else MetadataValue.text("not rebuilt (nothing validated)"),
            },
        )

    return raw_asset
