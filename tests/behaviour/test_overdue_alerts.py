"""Dagster's own freshness, end to end: the daemon finds a raw asset overdue, an alert goes out through
the outbox to a real (loopback) webhook once, and a later load resolves it.

The asset's last load is recorded 60 days in the past (the event is written with the clock set back;
nothing else is faked); the freshness daemon and the alert sensor are the real ones, in
`nhs-warehouse daemon`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from unittest import mock

import pytest
from dagster import AssetMaterialization
from tests.conftest import CLI
from tests.support.loopback import WebhookReceiver

from dagster_project.assets.raw import raw_asset_key
from dagster_project.sources import SOURCES

pytestmark = pytest.mark.system  # starts `nhs-warehouse daemon`

TIMEOUT_S = 240


def wait_for(condition, what: str, log, daemon) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert daemon.poll() is None, "the daemon exited:\n" + log.read_text()[-5000:]
        assert time.monotonic() < deadline, f"{what} never happened:\n" + log.read_text()[-5000:]
        time.sleep(1)


def test_an_overdue_raw_asset_alerts_once_and_resolves_when_loaded(tmp_path, monkeypatch):
    home = tmp_path / "home"
    receiver = WebhookReceiver().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_") and k != "DAGSTER_HOME"}
    env |= {
        "NHS_WAREHOUSE_HOME": str(home),
        "NHS_WAREHOUSE_ALERT_URLS": receiver.apprise_url,
        "NHS_WAREHOUSE_ALERT_INTERVAL": "2",
        "NHS_WAREHOUSE_POLL_PUBLISHERS": "off",
        "FRESHNESS_DAEMON_INTERVAL_SECONDS": "2",
    }
    for name, value in env.items():
        if name.startswith("NHS_WAREHOUSE_"):
            monkeypatch.setenv(name, value)
    from dagster_project.runner import get_instance
    from dagster_project.settings import load_settings

    instance = get_instance(load_settings())
    ae, fte = raw_asset_key(SOURCES["uec_ae_monthly"]), raw_asset_key(SOURCES["nhs_staff_fte"])
    sixty_days_ago = time.time() - 60 * 86400
    with mock.patch("time.time", return_value=sixty_days_ago):
        instance.report_runless_asset_event(AssetMaterialization(ae, partition="2024-06-01"))
    instance.report_runless_asset_event(AssetMaterialization(fte, partition="2023-24"))  # loaded just now

    log_path = tmp_path / "daemon.log"
    log = open(log_path, "w")
    daemon = subprocess.Popen([str(CLI), "daemon"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:

        def titles():
            return [alert.get("title", "") for alert in receiver.received]

        wait_for(lambda: any("uec_ae_monthly is overdue" in t for t in titles()), "the overdue alert", log_path, daemon)
        (alert,) = [a for a in receiver.received if "overdue" in a.get("title", "")]
        assert alert["type"] == "warning"
        assert "released monthly" in alert["message"] and "38 days" in alert["message"]
        assert not any("nhs_staff_fte" in t for t in titles())  # loaded within its cadence

        time.sleep(6)  # several more evaluations and alert ticks: the open incident is not sent again
        assert sum("uec_ae_monthly is overdue" in t for t in titles()) == 1

        instance.report_runless_asset_event(AssetMaterialization(ae, partition="2024-07-01"))  # a new month loads
        wait_for(
            lambda: any("resolved" in t.casefold() and "uec_ae_monthly" in t for t in titles()),
            "the resolution",
            log_path,
            daemon,
        )
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
        log.close()
        receiver.stop()
