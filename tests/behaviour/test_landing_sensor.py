"""The landing-folder sensor, evaluated through Dagster's own sensor test API against a real instance.

Real A&E files are dropped into landing/incoming/; each tick is one `build_sensor_context` evaluation
with the cursor the previous tick left, as the daemon would pass it.
"""

from __future__ import annotations

import os
import time
import warnings

import duckdb
import pytest
from tests.conftest import run_cli, uec_sample
from dagster import SkipReason, build_sensor_context, instance_for_test

from dagster_project.definitions import build_definitions
from dagster_project.ingest.landing import LandingStore


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


def landing_sensor(settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_definitions(settings).get_sensor_def("landing_folder")


def tick(sensor, instance, cursor):
    result = sensor(build_sensor_context(instance=instance, cursor=cursor))
    return result, result.cursor


def drop(src, settings, name=None, age_s=0.0):
    dest = settings.incoming_dir / (name or src.name)
    dest.write_bytes(src.read_bytes())
    if age_s:
        past = time.time() - age_s
        os.utime(dest, (past, past))
    return dest


def test_a_dropped_month_is_landed_and_requests_one_run_for_exactly_its_partition(home, instance):
    settings = home.replace(landing_settle_s=3600)
    sensor = landing_sensor(settings)
    dropped = drop(uec_sample("June-2023"), settings)

    first, cursor = tick(sensor, instance, None)
    assert not first.run_requests, "a file seen for the first time may still be growing"
    assert dropped.exists()

    second, cursor = tick(sensor, instance, cursor)
    [request] = second.run_requests
    landed = LandingStore(settings.landing_dir, settings.quarantine_dir).files("uec_ae_monthly")
    assert [f.periods for f in landed] == [("2023-06-01",)]
    assert request.job_name == "load_uec_ae_monthly"
    assert request.partition_key == "2023-06-01"
    assert request.run_key == f"uec_ae_monthly:2023-06-01:{landed[0].sha256[:16]}"
    assert not dropped.exists(), "taken files leave incoming/ (the landing store keeps the bytes)"

    # A restart resumes from the stored cursor: nothing is requested twice.
    again, _ = tick(landing_sensor(settings), instance, cursor)
    assert not again.run_requests


def test_a_file_still_being_written_is_not_taken_until_it_stops_changing(home, instance):
    settings = home.replace(landing_settle_s=3600)
    sensor = landing_sensor(settings)
    data = uec_sample("July-2023").read_bytes()
    growing = settings.incoming_dir / "July-2023.csv"
    growing.write_bytes(data[: len(data) // 2])

    _, cursor = tick(sensor, instance, None)
    with open(growing, "ab") as handle:  # the copy goes on between ticks
        handle.write(data[len(data) // 2 :])
    result, cursor = tick(sensor, instance, cursor)
    assert not result.run_requests and growing.exists()
    assert LandingStore(settings.landing_dir, settings.quarantine_dir).files("uec_ae_monthly") == []

    result, cursor = tick(sensor, instance, cursor)  # unchanged since the last tick: complete
    assert [r.partition_key for r in result.run_requests] == ["2023-07-01"]


def test_a_file_that_arrived_while_the_daemon_was_down_is_taken_at_first_sight(home, instance):
    settings = home.replace(landing_settle_s=60)
    drop(uec_sample("May-2023"), settings, age_s=600)
    result, _ = tick(landing_sensor(settings), instance, None)
    assert [r.partition_key for r in result.run_requests] == ["2023-05-01"]


def test_files_landed_by_nhs_warehouse_ingest_are_requested_too(home, instance):
    settings = home
    sensor = landing_sensor(settings)
    _, cursor = tick(sensor, instance, None)
    run_cli("ingest", str(uec_sample("March-2024")), home=settings.home, check=True)
    result, cursor = tick(sensor, instance, cursor)
    assert [r.partition_key for r in result.run_requests] == ["2024-03-01"]
    result, _ = tick(sensor, instance, cursor)
    assert isinstance(result.skip_reason, SkipReason) or not result.run_requests


def test_an_unreadable_dropped_file_is_quarantined_and_alerts_once(home, instance, tmp_path):
    settings = home.replace(landing_settle_s=0)
    bad = tmp_path / "not-a-return.csv"
    bad.write_text("Some,Other,Header\n1,2,3\n")
    drop(bad, settings)
    result, cursor = tick(landing_sensor(settings), instance, None)
    assert not result.run_requests
    assert list((settings.quarantine_dir / "unrecognised").glob("*.reason.json"))
    drop(bad, settings)  # the same file dropped again
    tick(landing_sensor(settings), instance, cursor)
    con = duckdb.connect(str(settings.alerts_db), read_only=True)
    try:
        alerts = con.execute("select kind, state, file_name from alerts").fetchall()
    finally:
        con.close()
    assert alerts == [("file_quarantined", "firing", "not-a-return.csv")]
