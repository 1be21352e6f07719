"""Nightly reconciliation per source: is the publication late, and has anything landed that never loaded?

Publishers release on a cadence (A&E, sickness absence and workforce monthly; CQC ratings daily
through the API and monthly as exports; the carers survey yearly). A source is late when the
newest period landed is older than the newest period that should be out by now: the period's end
plus its `due_after_days`. Late sources alert (reminded daily while late) and resolve once the
missing period lands.

The same tick requests a load for periods landed and never loaded, as the landing sensor does every
few seconds (`requests.py`): a backstop for a landing sensor someone stopped.
"""

from __future__ import annotations

import calendar
import datetime as dt

from dagster import DefaultScheduleStatus, ScheduleDefinition, ScheduleEvaluationContext, SkipReason, schedule

from dagster_project.alerting.alerts import Notifier
from dagster_project.assets.catalog import LOAD_JOBS, SOURCE_FRESHNESS_JOB, load_job_name
from dagster_project.alerting import messages
from dagster_project.automation.requests import pending_load_requests
from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.spec import SourceSpec
from dagster_project.settings import Settings


def period_end(spec: SourceSpec, period: str) -> dt.date:
    if spec.partitioning == "financial_year":  # 2021-22 ends 31 March 2022
        return dt.date(int(period[:4]) + 1, 3, 31)
    day = dt.date.fromisoformat(period[:10])
    if spec.partitioning == "monthly":
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day


def expected_latest(spec: SourceSpec, today: dt.date) -> str:
    """The newest period that should have been published by `today` (its end + due_after_days <= today)."""
    cutoff = today - dt.timedelta(days=spec.release_cadence.due_after_days)
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


def check_lateness(spec: SourceSpec, settings: Settings, today: dt.date, notifier: Notifier) -> str:
    """Alert or resolve lateness; return what was found."""
    store = LandingStore(settings.landing_dir, settings.quarantine_dir)
    landed = store.periods(spec.key)
    newest = landed[-1] if landed else None
    late, expected = is_late(spec, newest, today)
    if late:
        notifier.fire(messages.late_source(settings, spec.key, newest, expected, spec.release_cadence.every))
        return f"{spec.key} is late: newest period {newest or 'none'}, expected {expected} by {today}"
    notifier.resolve(keys=[f"source_late:{spec.key}"], why=f"{newest} has landed.")
    return f"{spec.key} is on time: newest period {newest}, expected {expected}"


def build_freshness_schedule(spec: SourceSpec, settings: Settings) -> ScheduleDefinition:
    job = next(j for j in LOAD_JOBS if j.name == load_job_name(spec.key))

    @schedule(
        name=f"freshness_{spec.key}",
        job=job,
        cron_schedule=settings.freshness_cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description=(
            f"Nightly: alerts when {spec.key} is late for its {spec.release_cadence.every} release, and loads "
            "periods that landed but were never loaded."
        ),
    )
    def freshness(context: ScheduleEvaluationContext):
        today = context.scheduled_execution_time.date() if context.scheduled_execution_time else dt.date.today()
        finding = check_lateness(spec, settings, today, Notifier(settings))
        context.log.info(finding)
        # A load running now finishes before the next night: wait for it rather than skip the night.
        requested = pending_load_requests(
            settings, context.instance, origin="nightly reconciliation", sources=[spec.key], busy_wait_s=30.0
        )
        if requested is None or not requested.run_requests:
            return SkipReason(finding if requested is not None else f"{finding}; the warehouse stayed busy")
        return requested.run_requests

    return freshness


def build_source_freshness_schedule(settings: Settings) -> ScheduleDefinition:
    """Nightly dbt source freshness over every raw table: a source goes stale exactly when nothing runs,
    so the question is asked on the clock, not only by builds (assets/source_freshness.py)."""
    return ScheduleDefinition(
        name="source_freshness_nightly",
        job=SOURCE_FRESHNESS_JOB,
        cron_schedule=settings.freshness_cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Nightly: dbt source freshness of every raw table; a stale one alerts as its source overdue.",
    )
