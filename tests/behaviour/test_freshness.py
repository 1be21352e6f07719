"""Nightly reconciliation: late publications alert (once), resolve when the month lands, and periods
landed but never loaded are requested. Evaluated through Dagster's schedule test API."""

from __future__ import annotations

import datetime as dt
import warnings

import duckdb
import pytest
from tests.conftest import uec_sample
from dagster import build_schedule_context, instance_for_test

from dagster_project.automation.freshness import expected_latest, is_late
from dagster_project.definitions import build_definitions
from dagster_project.ingest.intake import intake
from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.spec import Cadence
from dagster_project.sources import SOURCES, get_source

UEC = get_source("uec_ae_monthly")


def test_a_month_is_due_75_days_after_it_ends():
    # June 2024 ends on 30 June; due by 13 September.
    assert expected_latest(UEC, dt.date(2024, 9, 12)) == "2024-05-01"
    assert expected_latest(UEC, dt.date(2024, 9, 13)) == "2024-06-01"
    assert is_late(UEC, "2024-05-01", dt.date(2024, 9, 12)) == (False, "2024-05-01")
    assert is_late(UEC, "2024-05-01", dt.date(2024, 9, 13)) == (True, "2024-06-01")
    assert is_late(UEC, None, dt.date(2024, 9, 13)) == (True, "2024-06-01")


def test_yearly_and_daily_cadences():
    import dataclasses

    survey = dataclasses.replace(UEC, partitioning="financial_year", cadence=Cadence("yearly", 300))
    # 2021-22 ended on 31 March 2022 and is due 300 days later, on 25 January 2023.
    assert expected_latest(survey, dt.date(2023, 1, 24)) == "2020-21"
    assert expected_latest(survey, dt.date(2023, 1, 25)) == "2021-22"
    api = dataclasses.replace(UEC, partitioning="snapshot", cadence=Cadence("daily", 2))
    assert is_late(api, "2025-03-01", dt.date(2025, 3, 3)) == (False, "2025-03-01")
    assert is_late(api, "2025-03-01", dt.date(2025, 3, 4)) == (True, "2025-03-02")


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


def tick(settings, instance, when):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        defs = build_definitions(settings)
    schedule = defs.get_schedule_def("freshness_uec_ae_monthly")
    # The repository lets Dagster resolve the request's asset selection, as the daemon does.
    context = build_schedule_context(instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def())
    return schedule.evaluate_tick(context)


def alerts(settings):
    con = duckdb.connect(str(settings.alerts_db), read_only=True)
    try:
        # raised_at is to the second, so a firing and its resolution can tie (fast ticks did, in CI);
        # state's alphabetical order (firing, reminder, resolved) is the incident's own order.
        return con.execute("select kind, state, partition_key from alerts order by raised_at, state").fetchall()
    finally:
        con.close()


def test_late_source_alerts_once_then_resolves_and_unloaded_periods_are_requested(home, instance):
    store = LandingStore(home.landing_dir, home.quarantine_dir)
    intake(uec_sample("May-2024"), store, SOURCES.values())

    first = tick(home, instance, dt.datetime(2024, 9, 20, 2, tzinfo=dt.timezone.utc))
    [request] = first.run_requests  # May 2024 landed but never loaded
    assert request.partition_key == "2024-05-01"
    tick(home, instance, dt.datetime(2024, 9, 21, 2, tzinfo=dt.timezone.utc))
    assert alerts(home) == [("source_late", "firing", "2024-06-01")]

    intake(uec_sample("June-2024"), store, SOURCES.values())
    tick(home, instance, dt.datetime(2024, 9, 22, 2, tzinfo=dt.timezone.utc))
    assert alerts(home) == [("source_late", "firing", "2024-06-01"), ("source_late", "resolved", "2024-06-01")]
