"""Alerts from Dagster's own freshness: a raw asset not loaded within its source's release cadence.

Each raw asset declares a freshness policy from its spec's cadence (assets/raw.py); Dagster's
freshness daemon evaluates it and the UI shows it. This turns the daemon's verdicts into the same
alerts as a failed check (outbox, de-duplication, reminders, resolution), read by the run alert
sensor on each of its ticks. The nightly lateness check (automation/freshness.py) asks the publisher's
question (is the newest period out?); this one asks the pipeline's (has a load run lately?).
"""

from __future__ import annotations

from dagster import DagsterInstance

from dagster_project.alerting.alerts import Notifier
from dagster_project.assets.raw import raw_asset_key
from dagster_project.alerting import messages
from dagster_project.settings import Settings
from dagster_project.sources import SOURCES


def overdue_key(source: str) -> str:
    return f"asset_overdue:{source}"


def alert_overdue(instance: DagsterInstance, notifier: Notifier, settings: Settings) -> dict[str, int]:
    """Fire for each raw asset whose freshness FAILs, resolve each that PASSes; WARN is for the UI."""
    keys = {raw_asset_key(spec): spec for spec in SOURCES.values()}
    records = instance.get_freshness_state_records(list(keys))
    fired, passing = 0, []
    for key, spec in keys.items():
        record = records.get(key)
        state = record.freshness_state.value if record else None
        if state == "FAIL":
            last = instance.get_latest_materialization_event(key)
            fired += notifier.fire(messages.asset_overdue(settings, spec, last.timestamp if last else None)) is not None
        elif state == "PASS":
            passing.append(overdue_key(spec.key))
    resolved = len(notifier.resolve(keys=passing, why="it has been loaded within its cadence again.")) if passing else 0
    return {"fired": fired, "resolved": resolved}
