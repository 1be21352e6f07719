"""Events end to end on a warehouse that already holds May 2023 (built by `nhs-warehouse build`).

* The Dagster daemon (`nhs-warehouse daemon`, temp DAGSTER_HOME) sees a real A&E month dropped into
  landing/incoming/, loads it, and declarative automation rebuilds and publishes the marts: the
  month appears in `mart_uec_region_month` in the serving DB with NHS England's own figures.
* A file whose totals do not reconcile is quarantined by the gate in a run that itself succeeds;
  the alert sensor (evaluated through Dagster's sensor test API) records the alert, a loopback JSON
  webhook that is down leaves it undelivered, and the next tick delivers it. May's marts stay.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import warnings
from pathlib import Path

import duckdb
import pytest
from tests.conftest import CLI, run_cli, uec_sample
from dagster import build_sensor_context
from tests.support.loopback import WebhookReceiver
from tests.support.vintages import edited_vintage

from dagster_project.settings import load_settings

pytestmark = pytest.mark.slow
MAY_ENGLAND = ("2023-05-01", 31498)  # patients waiting 12+ hours from decision to admit, May 2023
JUNE_ENGLAND = ("2023-06-01", 26488)  # June 2023 (State of Care figure 20's month, revised vintage)


@pytest.fixture(scope="module")
def may_home(tmp_path_factory) -> Path:
    """A warehouse home built from May 2023 alone: raw, marts and serving, runs in its Dagster instance."""
    home = tmp_path_factory.mktemp("may") / "home"
    run_cli("ingest", str(uec_sample("May-2023")), home=home, check=True)
    # Exits 1 on a warning-level dbt test (figure months not loaded); what matters is what was published.
    result = run_cli("build", "--no-samples", home=home)
    assert (home / "serving" / "marts.duckdb").exists(), result.stdout + result.stderr
    return home


@pytest.fixture
def home_copy(may_home, tmp_path) -> Path:
    dest = tmp_path / "home"
    shutil.copytree(may_home, dest)
    return dest


def england_rows(home: Path) -> list[tuple[str, int]]:
    serving = home / "serving" / "marts.duckdb"
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return [
            (str(month), n)
            for month, n in con.execute(
                "select month_start, dta_waits_over_12h from mart_uec_region_month where is_england order by 1"
            ).fetchall()
        ]
    finally:
        con.close()


@pytest.mark.system  # starts `nhs-warehouse daemon`
def test_daemon_loads_a_dropped_month_into_the_serving_marts(home_copy, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_") and k != "DAGSTER_HOME"}
    env |= {
        "NHS_WAREHOUSE_HOME": str(home_copy),
        "DAGSTER_HOME": str(home_copy / "dagster"),
        "NHS_WAREHOUSE_LANDING_INTERVAL": "2",
        "NHS_WAREHOUSE_LANDING_SETTLE": "1",
        "NHS_WAREHOUSE_AUTOMATION_INTERVAL": "5",
        "NHS_WAREHOUSE_ALERT_INTERVAL": "5",
        "NHS_WAREHOUSE_POLL_PUBLISHERS": "off",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    log = open(tmp_path / "daemon.log", "w")
    daemon = subprocess.Popen([str(CLI), "daemon"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        shutil.copyfile(uec_sample("June-2023"), home_copy / "landing" / "incoming" / "June-2023.csv")
        deadline = time.monotonic() + 600
        rows = england_rows(home_copy)
        while JUNE_ENGLAND not in rows:
            assert daemon.poll() is None, "the daemon exited:\n" + (tmp_path / "daemon.log").read_text()[-5000:]
            assert time.monotonic() < deadline, (
                "June 2023 never reached the serving DB:\n" + (tmp_path / "daemon.log").read_text()[-8000:]
            )
            time.sleep(2)
            rows = england_rows(home_copy)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
        log.close()
    assert rows == [MAY_ENGLAND, JUNE_ENGLAND]
    assert not list((home_copy / "landing" / "incoming").iterdir())


def test_unreconciled_file_is_quarantined_alerts_and_is_delivered_when_the_channel_returns(home_copy, tmp_path, monkeypatch):
    from dagster_project import runner
    from dagster_project.definitions import build_definitions

    monkeypatch.setenv("NHS_WAREHOUSE_HOME", str(home_copy))
    receiver = WebhookReceiver()  # not listening yet: the channel is down
    settings = load_settings().replace(alert_urls=(receiver.apprise_url,), landing_settle_s=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        defs = build_definitions(settings)
    instance = runner.get_instance(settings)
    published_before = england_rows(home_copy)

    # June 2023 with one trust's type 1 attendances raised by 500 and the England total row left as published.
    broken = edited_vintage(
        uec_sample("June-2023"),
        settings.incoming_dir / "June-2023-v2.csv",
        org_code="R1K",
        column="A&E attendances Type 1",
        delta=500,
        reconcile=False,
    )
    landing = defs.get_sensor_def("landing_folder")(build_sensor_context(instance=instance))
    [request] = landing.run_requests
    summary = runner.run_load(settings, "uec_ae_monthly", [request.partition_key])  # as the daemon runs it
    # The blocking gate stops the step, so the run fails too; it is announced once, as the gate's failure.
    assert summary.failed_checks == ["raw/uec_ae_monthly:great_expectations_gate"]
    sha = request.tags["nhs_warehouse/file_sha256"]
    assert (settings.quarantine_dir / "uec_ae_monthly" / f"{sha}.reason.json").exists()
    assert not broken.exists()

    alerts_sensor = defs.get_sensor_def("alerts_from_runs")
    first = alerts_sensor(build_sensor_context(instance=instance))
    con = duckdb.connect(str(settings.alerts_db), read_only=True)
    try:
        recorded = con.execute(
            "select kind, state, source_key, partition_key, file_name, delivered_to, targets from alerts"
        ).fetchall()
    finally:
        con.close()
    assert recorded == [("gx_check_failed", "firing", "uec_ae_monthly", "2023-06-01", "June-2023-v2.csv", 0, 1)]

    with receiver:
        alerts_sensor(build_sensor_context(instance=instance, cursor=first.cursor))  # the next tick
    [alert] = receiver.received
    assert alert["type"] == "failure"
    assert "June-2023-v2.csv" in alert["title"] or "2023-06-01" in alert["title"]
    message = alert["message"]
    for fact in (
        "Source: uec_ae_monthly",
        "Partition: 2023-06-01",
        "File: June-2023-v2.csv",
        f"File sha256: {sha}",
        "unexpected_rows_expectation",
        "provider rows sum to the publisher's England total row",
        '"measure": "ae_attendances_type_1", "provider_sum": 1362408, "publisher_total": 1361908',
        "quarantine",
        "still published",
        f"/runs/{summary.run_id}",
        "Data Docs: file://",
    ):
        assert fact in message, f"{fact!r} missing from:\n{message}"
    con = duckdb.connect(str(settings.alerts_db), read_only=True)
    try:
        assert con.execute("select delivered_to, delivered_at is not null from alerts").fetchall() == [(1, True)]
    finally:
        con.close()
    # Nothing reached the marts: May is as published before, and June is not there.
    assert england_rows(home_copy) == published_before == [MAY_ENGLAND]
