"""Alerts from finished runs: failed runs, and failed checks in runs that succeeded.

Open-source Dagster's run-failure sensor never sees a failed asset check, because a failed check
does not fail its run (docs/stack.md). So one sensor reads every finished run, successful or not, from
the instance's run-status events after its cursor (storage ids, one per event type), and for each:

* a failed Great Expectations gate alerts once per rejected file and partition; a gate that passes
  for a partition later resolves that partition's open gate alerts;
* a failed dbt test, or any other asset check of ERROR severity, alerts; the same check passing
  resolves it; a stale raw table (dbt source freshness) alerts as its source overdue, the same
  incident Dagster's freshness policy raises (alerting/overdue.py);
* a failed run alerts with the step's error; a later successful run of the same job and partitions
  resolves it. A run that failed only because a blocking check failed (the GX gate stops the step)
  is announced once, as that check's failure, not twice.

Runs started by `nhs-warehouse build` (in-process, same instance) alert as soon as they finish
(`runner.alert_on_run`), and again through this sensor when a daemon runs, which the notifier's
de-duplication absorbs. The same sensor's tick also retries undelivered alerts and sends reminders.
"""

from __future__ import annotations

import json
import warnings

from dagster import (
    AssetCheckSeverity,
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from dagster_project.alerting.alerts import Notifier
from dagster_project.alerting import messages
from dagster_project.alerting.overdue import alert_overdue
from dagster_project.settings import Settings
from dagster_project.assets.check_names import GATE_CHECK, SOURCE_FRESHNESS_CHECK
from dagster_project.sources import SOURCES

SENSOR_NAME = "alerts_from_runs"
FINISHED = {"success": DagsterEventType.RUN_SUCCESS, "failure": DagsterEventType.RUN_FAILURE}
BATCH = 100


def _value(metadata_value):
    return getattr(metadata_value, "value", metadata_value)


def check_evaluations(instance, run_id: str) -> list:
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]


def run_error(instance, run_id: str) -> tuple[str, bool]:
    """The first step failure's message, and whether every step failed only on a blocking check."""
    first, only_checks = None, True
    for of_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE):
        for record in instance.get_records_for_run(run_id, of_type=of_type).records:
            event = record.event_log_entry.dagster_event
            error = getattr(event.event_specific_data, "error", None)
            if error is not None:
                only_checks &= error.cls_name == "DagsterAssetCheckFailedError"
                first = first or f"{event.step_key or 'run'}: {error.message.strip().splitlines()[0][:500]}"
            elif of_type == DagsterEventType.STEP_FAILURE:
                only_checks = False
            first = first or (event.message or "")[:500]
    return first or "the run failed (see the run's logs)", only_checks and first is not None


def run_scope(run) -> tuple[str, str | None, str | None]:
    """(scope for de-duplication, source, partition) of a run from its tags."""
    tags = run.tags
    partition = tags.get("dagster/partition")
    if not partition and tags.get("dagster/asset_partition_range_start"):
        partition = f"{tags['dagster/asset_partition_range_start']}..{tags['dagster/asset_partition_range_end']}"
    return partition or "", tags.get("nhs_warehouse/source"), partition


def alert_for_run(instance, run, notifier: Notifier, settings: Settings) -> dict[str, int]:
    """Fire and resolve the alerts one finished run calls for."""
    counts = {"fired": 0, "resolved": 0}
    passed_checks: list[str] = []  # resolved together: one opening of the alert log, not one per check
    for evaluation in check_evaluations(instance, run.run_id):
        asset = evaluation.asset_key.to_user_string()
        metadata = {k: _value(v) for k, v in evaluation.metadata.items()}
        if evaluation.check_name == GATE_CHECK:
            source = evaluation.asset_key.path[-1]
            docs = metadata.get("data_docs")
            docs = docs if isinstance(docs, str) and docs.endswith(".html") else None
            for failure in metadata.get("failures") or []:
                counts["fired"] += notifier.fire(messages.gate_failure(settings, source, failure, run.run_id, docs)) is not None
            for passed in metadata.get("partitions_passed") or []:
                counts["resolved"] += len(
                    notifier.resolve(
                        key_prefix=messages.gx_key(source, passed["partition"]),
                        why=f"{passed.get('file')} loaded for {passed['partition']} and passed the gate (run {run.run_id}).",
                    )
                )
            continue
        if evaluation.severity != AssetCheckSeverity.ERROR:
            continue  # WARN checks (e.g. a published figure's month not loaded) are for the UI, not a page
        if evaluation.check_name == SOURCE_FRESHNESS_CHECK:
            spec = SOURCES[evaluation.asset_key.path[-1]]
            alert = messages.source_stale(settings, spec, metadata, evaluation.description, run.run_id)
        else:
            alert = messages.check_failure(settings, asset, evaluation.check_name, metadata, run.run_id, evaluation.description)
        if evaluation.passed:
            passed_checks.append(alert.key)
        else:
            counts["fired"] += notifier.fire(alert) is not None
    if passed_checks:
        counts["resolved"] += len(notifier.resolve(keys=passed_checks, why=f"it passed in run {run.run_id}."))
    scope, source, partition = run_scope(run)
    error, only_checks = run_error(instance, run.run_id) if run.status == DagsterRunStatus.FAILURE else ("", False)
    failure = messages.run_failure(settings, run.job_name, scope, error, run.run_id, source, partition)
    if run.status == DagsterRunStatus.FAILURE and not only_checks:
        counts["fired"] += notifier.fire(failure) is not None
    elif run.status == DagsterRunStatus.SUCCESS:
        # A run that failed only because a blocking check failed was alerted on as that check, above.
        counts["resolved"] += len(notifier.resolve(keys=[failure.key], why=f"run {run.run_id} of the same job succeeded."))
    return counts


def finished_runs_since(instance, cursor: dict) -> tuple[list, dict]:
    """Finished runs after the cursor, oldest first, and the cursor past them."""
    found: list[tuple[int, str]] = []  # (storage id, run id)
    cursor = dict(cursor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, event_type in FINISHED.items():
            result = instance.fetch_run_status_changes(event_type, limit=BATCH, cursor=cursor.get(name), ascending=True)
            found.extend((record.storage_id, record.event_log_entry.run_id) for record in result.records)
            if result.records:
                cursor[name] = result.cursor
    runs = []
    for _, run_id in sorted(found):
        run = instance.get_run_by_id(run_id)
        if run is not None:
            runs.append(run)
    return runs, cursor


def build_run_alert_sensor(settings: Settings) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=settings.alert_interval_s,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Alerts on failed runs and on failed checks in any finished run (GX gate, dbt tests), and on raw "
            "assets Dagster's freshness daemon finds overdue; resolves them when a later run passes (or the "
            "asset is fresh again), retries undelivered alerts and sends reminders."
        ),
    )
    def alerts_from_runs(context: SensorEvaluationContext):
        notifier = Notifier(settings)
        cursor = json.loads(context.cursor) if context.cursor else {}
        runs, cursor = finished_runs_since(context.instance, cursor)
        fired = resolved = 0
        for run in runs:
            counts = alert_for_run(context.instance, run, notifier, settings)
            fired += counts["fired"]
            resolved += counts["resolved"]
        overdue = alert_overdue(context.instance, notifier, settings)
        fired += overdue["fired"]
        resolved += overdue["resolved"]
        outbox = notifier.tick()
        summary = (
            f"{len(runs)} finished runs read; {fired} alerts fired, {resolved} resolved; "
            f"{outbox['reminders']} reminders; {outbox['retried']} undelivered retried"
        )
        context.log.info(summary)
        return SensorResult(skip_reason=SkipReason(summary), cursor=json.dumps(cursor, sort_keys=True))

    return alerts_from_runs
