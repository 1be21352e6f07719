"""The alert sensor reads finished runs: a failed check alerts even when its run succeeded, and a
failed run alerts with its error; both resolve when a later run passes.

The runs are real Dagster runs (in-process, against a temporary instance) of small assets defined
here, because no warehouse asset has a non-blocking check; the sensor is the warehouse's own,
evaluated through Dagster's sensor test API.
"""

from __future__ import annotations

import warnings

import duckdb
import pytest
from dagster import AssetCheckResult, Failure, asset, asset_check, build_sensor_context, instance_for_test, materialize

from dagster_project.definitions import build_definitions

STATE = {"passes": False, "fails": True}


@asset(key=["marts", "toy_mart"])
def toy_mart():
    if STATE["fails"]:
        raise Failure("the mart's SQL hit a missing column")
    return 1


@asset_check(asset=toy_mart, blocking=False, description="every region has a row")
def regions_present():
    return AssetCheckResult(passed=STATE["passes"], metadata={"failures": 2})


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


def alerts_sensor(settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_definitions(settings).get_sensor_def("alerts_from_runs")


def alert_rows(settings):
    con = duckdb.connect(str(settings.alerts_db), read_only=True)
    try:
        return con.execute("select kind, state, title from alerts order by raised_at, state").fetchall()
    finally:
        con.close()


def test_failed_check_in_a_successful_run_alerts_and_a_passing_run_resolves_it(home, instance):
    sensor = alerts_sensor(home)
    STATE.update(passes=False, fails=False)
    result = materialize([toy_mart, regions_present], instance=instance)
    assert result.success
    tick = sensor(build_sensor_context(instance=instance))
    assert alert_rows(home) == [
        ("check_failed", "firing", "[nhs-warehouse] asset check failed: regions_present on marts/toy_mart")
    ]

    materialize([toy_mart, regions_present], instance=instance)  # still failing: no second alert
    tick = sensor(build_sensor_context(instance=instance, cursor=tick.cursor))
    assert len(alert_rows(home)) == 1

    STATE.update(passes=True)
    materialize([toy_mart, regions_present], instance=instance)
    sensor(build_sensor_context(instance=instance, cursor=tick.cursor))
    assert [r[:2] for r in alert_rows(home)] == [("check_failed", "firing"), ("check_failed", "resolved")]


def test_failed_run_alerts_with_its_error_and_resolves_when_the_job_succeeds(home, instance):
    sensor = alerts_sensor(home)
    STATE.update(passes=True, fails=True)
    assert not materialize([toy_mart], instance=instance, raise_on_error=False).success
    tick = sensor(build_sensor_context(instance=instance))
    con = duckdb.connect(str(home.alerts_db), read_only=True)
    try:
        [(kind, body)] = con.execute("select kind, body from alerts").fetchall()
    finally:
        con.close()
    assert kind == "run_failed" and "the mart's SQL hit a missing column" in body and "/runs/" in body

    STATE.update(fails=False)
    assert materialize([toy_mart], instance=instance).success
    sensor(build_sensor_context(instance=instance, cursor=tick.cursor))
    assert [r[:2] for r in alert_rows(home)] == [("run_failed", "firing"), ("run_failed", "resolved")]
