"""Nightly reconciliation per source: is the publication late, and has anything landed that never loaded?

Publishers release on a cadence (A&E, sickness absence and workforce monthly; CQC ratings daily
through the API and monthly as exports; the carers survey yearly). A source is late when the
newest period landed is older than the newest period that should be out by now: the period's end
plus its `due_after_days`. Late sources alert (reminded daily while late) and resolve once the
missing period lands.

The same tick reconciles the landing store with Dagster: periods landed but never materialised
(files that arrived while no daemon ran) get one load run. It reads the landing manifests and the
Dagster instance only, never the warehouse file.
"""

from __future__ import annotations

import calendar
import datetime as dt

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from dagster_project.alerts import Notifier
from dagster_project.automation import messages
from dagster_project.automation.requests import RANGE_END, RANGE_START, TAG_ORIGIN, TAG_SOURCE
from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.spec import Cadence, SourceSpec
from dagster_project.settings import Settings

DEFAULT_CADENCE = {
    "monthly": Cadence("monthly", due_after_days=75),
    "financial_year": Cadence("yearly", due_after_days=300),
    "snapshot": Cadence("monthly", due_after_days=45),
}


def cadence_of(spec: SourceSpec) -> Cadence:
    return spec.cadence or DEFAULT_CADENCE[spec.partitioning]


def period_end(spec: SourceSpec, period: str) -> dt.date:
    if spec.partitioning == "financial_year":  # 2021-22 ends 31 March 2022
        return dt.date(int(period[:4]) + 1, 3, 31)
    day = dt.date.fromisoformat(period[:10])
    if spec.partitioning == "monthly":
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day


def expected_latest(spec: SourceSpec, today: dt.date) -> str:
    """The newest period that should have been published by `today` (its end + due_after_days <= today)."""
    cutoff = today - dt.timedelta(days=cadence_of(spec).due_after_days)
    if spec.partitioning == "financial_year":
        year = cutoff.year if cutoff >= dt.date(cutoff.year, 3, 31) else cutoff.year - 1
        return f"{year - 1}-{str(year)[-2:]}"
    if spec.partitioning == "monthly":
        month = cutoff.replace(day=1)
        if period_end(spec, month.isoformat()) > cutoff:
            month = (month - dt.timedelta(days=1)).replace(day=1)
        return month.isoformat()
    return cutoff.isoformat()  # snapshots: the newest should be no older than the cutoff


def is_late(spec: SourceSpec, newest: str | None, today: dt.date) -> tuple[bool, str]:
    expected = expected_latest(spec, today)
    if newest is None:
        return True, expected
    return period_end(spec, newest) < period_end(spec, expected), expected


def reconcile(spec: SourceSpec, settings: Settings, instance, today: dt.date, notifier: Notifier) -> tuple[str, list[str]]:
    """Alert or resolve lateness; return (what was found, periods landed but never loaded)."""
    from dagster_project.assets.raw import raw_asset_key

    store = LandingStore(settings.landing_dir, settings.quarantine_dir)
    landed = store.periods(spec.key)
    newest = landed[-1] if landed else None
    late, expected = is_late(spec, newest, today)
    cadence = cadence_of(spec)
    if late:
        notifier.fire(messages.late_source(settings, spec.key, newest, expected, cadence.every))
        finding = f"{spec.key} is late: newest period {newest or 'none'}, expected {expected} by {today}"
    else:
        notifier.resolve(keys=[f"source_late:{spec.key}"], why=f"{newest} has landed.")
        finding = f"{spec.key} is on time: newest period {newest}, expected {expected}"
    done = set(instance.get_materialized_partitions(raw_asset_key(spec)))
    never_loaded = [p for p in landed if p not in done]
    return finding, never_loaded


def build_freshness_schedule(spec: SourceSpec, settings: Settings, job) -> ScheduleDefinition:
    @schedule(
        name=f"freshness_{spec.key}",
        job=job,
        cron_schedule=settings.freshness_cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description=(
            f"Nightly: alerts when {spec.key} is late for its {cadence_of(spec).every} release, and loads "
            "periods that landed but were never loaded."
        ),
    )
    def freshness(context: ScheduleEvaluationContext):
        today = context.scheduled_execution_time.date() if context.scheduled_execution_time else dt.date.today()
        finding, never_loaded = reconcile(spec, settings, context.instance, today, Notifier(settings))
        context.log.info(finding)
        if not never_loaded:
            return SkipReason(finding)
        return RunRequest(
            run_key=f"reconcile:{spec.key}:{today.isoformat()}",
            tags={
                TAG_SOURCE: spec.key, TAG_ORIGIN: "nightly reconciliation",
                RANGE_START: min(never_loaded), RANGE_END: max(never_loaded),
            },
        )

    return freshness
