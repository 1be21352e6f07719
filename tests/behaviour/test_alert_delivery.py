"""The notifier: every alert in the `alerts` table, sent to every channel, once per failure.

A loopback JSON webhook (apprise `json://`) plays the on-call channel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
from tests.support.loopback import WebhookReceiver

from dagster_project.alerting.alerts import Alert, Notifier

FAILURE = Alert(
    kind="gx_check_failed",
    key="gx_check_failed:uec_ae_monthly:2023-06-01:abc",
    title="uec_ae_monthly 2023-06-01: file failed the Great Expectations gate",
    what_failed="the suite rejected June-2023.csv",
    source="uec_ae_monthly",
    partition="2023-06-01",
    file="June-2023.csv",
    details=("unexpected_rows_expectation: observed 1 unexpected; expected provider rows reconcile with the England total",),
    kept="the published marts are unchanged",
    links={"Dagster run": "http://127.0.0.1:3000/runs/r1"},
)
T0 = dt.datetime(2026, 1, 5, 9, 0, 0)


def rows(settings, sql):
    con = duckdb.connect(str(settings.alerts_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_alert_reaches_the_webhook_as_json_and_the_alerts_table(home):
    with WebhookReceiver() as receiver:
        notifier = Notifier(home, urls=[receiver.apprise_url])
        notifier.fire(FAILURE, now=T0)
    assert len(receiver.received) == 1
    sent = receiver.received[0]
    assert sent["title"] == "[nhs-warehouse] " + FAILURE.title
    for fact in (
        "Source: uec_ae_monthly",
        "Partition: 2023-06-01",
        "File: June-2023.csv",
        "observed 1 unexpected",
        "What was kept: the published marts are unchanged",
        "http://127.0.0.1:3000/runs/r1",
    ):
        assert fact in sent["message"]
    assert rows(home, "select state, targets, delivered_to, delivered_at is not null from alerts") == [("firing", 1, 1, True)]


def test_same_failure_alerts_once_then_reminds_after_the_interval_then_resolves(home):
    settings = home.replace(alert_reminder_s=3600)
    with WebhookReceiver() as receiver:
        notifier = Notifier(settings, urls=[receiver.apprise_url])
        assert notifier.fire(FAILURE, now=T0) is not None
        assert notifier.fire(FAILURE, now=T0 + dt.timedelta(minutes=5)) is None  # same file, same failure
        assert notifier.tick(now=T0 + dt.timedelta(minutes=30))["reminders"] == 0
        assert notifier.tick(now=T0 + dt.timedelta(hours=1, minutes=1))["reminders"] == 1
        assert notifier.tick(now=T0 + dt.timedelta(hours=1, minutes=2))["reminders"] == 0
        notifier.resolve(
            key_prefix="gx_check_failed:uec_ae_monthly:2023-06-01:", why="a revision passed", now=T0 + dt.timedelta(hours=2)
        )
        assert notifier.tick(now=T0 + dt.timedelta(hours=9))["reminders"] == 0  # resolved: no more reminders
    titles = [r["title"] for r in receiver.received]
    assert titles == [
        "[nhs-warehouse] " + FAILURE.title,
        "[nhs-warehouse] Reminder (still unresolved): " + FAILURE.title,
        "[nhs-warehouse] Resolved: " + FAILURE.title,
    ]
    assert "a revision passed" in receiver.received[-1]["message"]
    assert rows(home, "select occurrences, resolved_at is not null from alert_incidents") == [(2, True)]
    # A new failure of the same partition after resolution is a new incident.
    assert Notifier(settings, urls=[]).fire(FAILURE, now=T0 + dt.timedelta(hours=10)) is not None


def test_channel_down_records_undelivered_and_the_next_tick_delivers(home):
    receiver = WebhookReceiver()  # not started: connection refused
    notifier = Notifier(home, urls=[receiver.apprise_url])
    notifier.fire(FAILURE, now=T0)
    assert rows(home, "select delivered_to, delivered_at from alerts") == [(0, None)]
    [(attempts, error)] = rows(home, "select attempts, last_error from alert_deliveries")
    assert attempts == 1 and error
    with receiver:
        assert notifier.tick(now=T0 + dt.timedelta(minutes=1))["retried"] == 1
    assert len(receiver.received) == 1 and receiver.received[0]["title"].endswith(FAILURE.title)
    assert rows(home, "select delivered_to, delivered_at is not null from alerts") == [(1, True)]
    assert rows(home, "select attempts, delivered_at is not null from alert_deliveries") == [(2, True)]
    assert notifier.tick(now=T0 + dt.timedelta(minutes=2))["retried"] == 0


def test_secrets_in_channel_urls_are_not_stored(home):
    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    Notifier(home, urls=[url]).fire(dataclasses.replace(FAILURE, key="k2"), now=T0)
    [(target,)] = rows(home, "select target from alert_deliveries")
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in target
