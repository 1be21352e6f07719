"""The one notifier: every alert goes to the `alerts` table and to every URL in NHS_WAREHOUSE_ALERT_URLS.

Every alert path (failed GX gate, failed dbt test, failed run, quarantined file, late source) calls
`Notifier.fire()` or `Notifier.resolve()`. The notifier:

* writes the message to the `alerts` table first, so nothing is lost when a channel is down, then
  sends it through apprise (Slack, Microsoft Teams, email, generic JSON webhooks...) to each URL and
  records each delivery in `alert_deliveries`; an undelivered one is retried by `tick()`, which the
  alert sensors call every tick;
* de-duplicates by incident: the same failure on the same file (`Alert.key`) opens one incident and
  alerts once; while it stays open, `tick()` sends a reminder every `alert_reminder_s`; a later load
  that passes closes it with a "resolved" message (`resolve()`).

Where the table lives: `$NHS_WAREHOUSE_HOME/alerts.duckdb`, a small DuckDB file of its own rather
than a schema in `warehouse.duckdb`. DuckDB lets one process write a file and locks out every other
process, even readers; alerts are raised by sensors in the Dagster daemon's code server while a run
in another process holds the warehouse file for minutes (dbt, loads), and they must be recorded
*then*, not after. The alert file is opened for a few milliseconds per write (waiting with backoff if
another process is writing an alert) and never while sending over the network. Any DuckDB client
can read it (`attach '<home>/alerts.duckdb' as alerts (read_only)`); `nhs-warehouse status` shows
the latest alerts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Literal

from dagster_project.settings import Settings
from dagster_project.warehouse import connect

log = logging.getLogger(__name__)

Kind = Literal[
    "gx_check_failed",
    "dbt_test_failed",
    "check_failed",
    "run_failed",
    "file_quarantined",
    "source_late",
    "fetch_failed",
    "intake_failed",
    "asset_overdue",
]
Severity = Literal["failure", "warning", "success", "info"]

ALERTS_DDL = """
create table if not exists alerts (
    alert_id varchar primary key,
    incident_key varchar not null,
    kind varchar not null,
    state varchar not null,            -- firing | reminder | resolved
    severity varchar not null,
    title varchar not null,
    body varchar not null,
    source_key varchar,
    partition_key varchar,
    file_name varchar,
    run_id varchar,
    payload json not null,
    raised_at timestamp not null,
    targets integer not null,          -- channels it was addressed to
    delivered_to integer not null,     -- channels that accepted it
    delivered_at timestamp             -- when the last channel accepted it (null: not all yet)
);
create table if not exists alert_deliveries (
    alert_id varchar not null,
    target_id varchar not null,        -- sha256 of the URL (the URL itself holds secrets)
    target varchar not null,           -- the URL with secrets masked, as apprise prints it
    attempts integer not null,
    last_attempt_at timestamp,
    delivered_at timestamp,
    last_error varchar,
    primary key (alert_id, target_id)
);
create table if not exists alert_incidents (
    incident_key varchar primary key,
    kind varchar not null,
    title varchar not null,
    source_key varchar,
    partition_key varchar,
    file_name varchar,
    opened_at timestamp not null,
    last_seen_at timestamp not null,
    last_notified_at timestamp not null,
    occurrences integer not null,
    remind boolean not null,
    resolved_at timestamp,
    last_alert_id varchar not null
);
"""

STATE_TITLES = {"firing": "", "reminder": "Reminder (still unresolved): ", "resolved": "Resolved: "}
APPRISE_TYPES = {"failure": "failure", "warning": "warning", "success": "success", "info": "info"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Alert:
    """What failed, where, and what was kept. `key` names the failure for de-duplication."""

    kind: Kind
    key: str
    title: str
    what_failed: str
    source: str | None = None
    partition: str | None = None
    file: str | None = None
    file_sha256: str | None = None
    # The failing expectations or tests, each "name: observed X; expected Y".
    details: tuple[str, ...] = ()
    kept: str = ""
    run_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    severity: Severity = "failure"
    # Remind while unresolved; a one-off event (e.g. an unreadable dropped file) is announced once.
    remind: bool = True

    def body(self, state: str = "firing") -> str:
        lines = []
        if state == "resolved":
            lines.append(f"Resolved: {self.what_failed}")
        else:
            lines.append(f"What failed: {self.what_failed}")
        for label, value in (("Source", self.source), ("Partition", self.partition), ("File", self.file)):
            if value:
                lines.append(f"{label}: {value}")
        if self.file_sha256:
            lines.append(f"File sha256: {self.file_sha256}")
        if self.details:
            lines.append("Failing checks (observed vs expected):")
            lines.extend(f"  - {d}" for d in self.details)
        if self.kept:
            lines.append(f"What was kept: {self.kept}")
        for label, link in self.links.items():
            lines.append(f"{label}: {link}")
        return "\n".join(lines)

    def as_payload(self) -> dict:
        record = asdict(self)
        record["details"] = list(self.details)
        return record


@dataclass(frozen=True)
class Delivery:
    target_id: str
    target: str
    delivered: bool
    error: str | None = None


def target_id(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def masked(url: str) -> str:
    """The URL as apprise prints it with secrets hidden (tokens, passwords)."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    return plugin.url(privacy=True) if plugin else url.split("://", 1)[0] + "://(invalid)"


def send(url: str, title: str, body: str, severity: Severity) -> Delivery:
    """Send one message to one apprise URL; never raises."""
    import apprise

    try:
        sender = apprise.Apprise()
        if not sender.add(url):
            return Delivery(target_id(url), masked(url), False, "apprise does not understand this URL")
        result = sender.notify(body=body, title=title, notify_type=APPRISE_TYPES[severity])
        if bool(result):
            return Delivery(target_id(url), masked(url), True)
        logs = "; ".join(str(getattr(e, "message", e)) for e in result.logs())[-500:] if hasattr(result, "logs") else ""
        return Delivery(target_id(url), masked(url), False, logs or f"apprise status {getattr(result, 'status', result)}")
    except Exception as exc:  # a channel must never break the caller (a sensor tick)
        return Delivery(target_id(url), url.split("://", 1)[0] + "://…", False, f"{type(exc).__name__}: {exc}")


class Notifier:
    """Alerts for one warehouse home. Cheap to create; each call opens the alert log briefly."""

    def __init__(self, settings: Settings, urls: Iterable[str] | None = None) -> None:
        self.settings = settings
        self.urls = tuple(settings.alert_urls if urls is None else urls)
        self.db_path = Path(settings.alerts_db)

    # -- the alert log ------------------------------------------------------------------------

    def _connect(self):
        con = connect(self.db_path, timeout_s=self.settings.lock_timeout_s, config={})
        con.execute(ALERTS_DDL)
        return con

    def _record(self, con, alert: Alert, state: str, now: dt.datetime) -> tuple[str, str, str]:
        alert_id = uuid.uuid4().hex
        title = f"[nhs-warehouse] {STATE_TITLES[state]}{alert.title}"
        body = alert.body(state)
        severity = "success" if state == "resolved" else alert.severity
        con.execute(
            "insert into alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, null)",
            [
                alert_id,
                alert.key,
                alert.kind,
                state,
                severity,
                title,
                body,
                alert.source,
                alert.partition,
                alert.file,
                alert.run_id,
                json.dumps(alert.as_payload() | {"state": state}),
                now,
                len(self.urls),
            ],
        )
        for url in self.urls:
            con.execute(
                "insert into alert_deliveries values (?, ?, ?, 0, null, null, null)",
                [alert_id, target_id(url), masked(url)],
            )
        return alert_id, title, body

    # -- raising and resolving ----------------------------------------------------------------

    def fire(self, alert: Alert, now: dt.datetime | None = None) -> str | None:
        """Record and send `alert` unless its incident is already open; returns the alert id sent."""
        now = now or utcnow()
        con = self._connect()
        try:
            con.execute("begin transaction")
            open_incident = con.execute(
                "select last_notified_at from alert_incidents where incident_key = ? and resolved_at is null",
                [alert.key],
            ).fetchone()
            if open_incident is not None:
                # The same failure again: counted, not re-announced (reminders come from tick()).
                con.execute(
                    "update alert_incidents set occurrences = occurrences + 1, last_seen_at = ? where incident_key = ?",
                    [now, alert.key],
                )
                con.execute("commit")
                return None
            alert_id, title, body = self._record(con, alert, "firing", now)
            con.execute("delete from alert_incidents where incident_key = ?", [alert.key])
            con.execute(
                "insert into alert_incidents values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, null, ?)",
                [
                    alert.key,
                    alert.kind,
                    alert.title,
                    alert.source,
                    alert.partition,
                    alert.file,
                    now,
                    now,
                    now,
                    alert.remind,
                    alert_id,
                ],
            )
            con.execute("commit")
        finally:
            con.close()
        self._deliver(alert_id, title, body, alert.severity)
        return alert_id

    def resolve(
        self, *, keys: Iterable[str] = (), key_prefix: str | None = None, why: str = "", now: dt.datetime | None = None
    ) -> list[str]:
        """Close open incidents (by key, or every key starting with `key_prefix`) with a "resolved" message."""
        now = now or utcnow()
        keys = list(keys)
        con = self._connect()
        sent: list[tuple[str, str, str]] = []
        try:
            con.execute("begin transaction")
            rows = con.execute(
                "select incident_key, last_alert_id from alert_incidents where resolved_at is null "
                "and (list_contains(?, incident_key) or (? is not null and starts_with(incident_key, ?)))",
                [keys, key_prefix, key_prefix or ""],
            ).fetchall()
            for incident_key, last_alert_id in rows:
                payload = json.loads(con.execute("select payload from alerts where alert_id = ?", [last_alert_id]).fetchone()[0])
                payload.pop("state", None)
                payload["details"] = tuple(payload.get("details") or ())
                alert = Alert(**payload)
                alert = Alert(**{**alert.__dict__, "what_failed": f"{alert.what_failed}. {why}".strip()})
                alert_id, title, body = self._record(con, alert, "resolved", now)
                con.execute(
                    "update alert_incidents set resolved_at = ?, last_alert_id = ? where incident_key = ?",
                    [now, alert_id, incident_key],
                )
                sent.append((alert_id, title, body))
            con.execute("commit")
        finally:
            con.close()
        for alert_id, title, body in sent:
            self._deliver(alert_id, title, body, "success")
        return [s[0] for s in sent]

    def tick(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Retry undelivered messages and remind about incidents open longer than the interval."""
        now = now or utcnow()
        reminded = self._remind(now)
        retried = self.retry_undelivered()
        return {"reminders": reminded, "retried": retried}

    def _remind(self, now: dt.datetime) -> int:
        if self.settings.alert_reminder_s <= 0:
            return 0
        due_before = now - dt.timedelta(seconds=self.settings.alert_reminder_s)
        con = self._connect()
        sent: list[tuple[str, str, str, Severity]] = []
        try:
            con.execute("begin transaction")
            rows = con.execute(
                "select i.incident_key, a.payload, a.severity from alert_incidents i join alerts a on a.alert_id = i.last_alert_id "
                "where i.resolved_at is null and i.remind and i.last_notified_at <= ?",
                [due_before],
            ).fetchall()
            for incident_key, payload, severity in rows:
                payload = json.loads(payload)
                payload.pop("state", None)
                payload["details"] = tuple(payload.get("details") or ())
                alert = Alert(**payload)
                alert_id, title, body = self._record(con, alert, "reminder", now)
                con.execute(
                    "update alert_incidents set last_notified_at = ?, last_alert_id = ? where incident_key = ?",
                    [now, alert_id, incident_key],
                )
                sent.append((alert_id, title, body, severity))
            con.execute("commit")
        finally:
            con.close()
        for alert_id, title, body, severity in sent:
            self._deliver(alert_id, title, body, severity)
        return len(sent)

    def retry_undelivered(self) -> int:
        """Send every recorded message some channel has not accepted yet (to the URLs configured now)."""
        con = self._connect()
        try:
            rows = con.execute(
                "select a.alert_id, a.title, a.body, a.severity, list(d.target_id) from alerts a "
                "join alert_deliveries d using (alert_id) where d.delivered_at is null "
                "group by all order by min(a.raised_at)"
            ).fetchall()
        finally:
            con.close()
        for alert_id, title, body, severity, targets in rows:
            self._deliver(alert_id, title, body, severity, only=set(targets))
        return len(rows)

    # -- delivery -----------------------------------------------------------------------------

    def _deliver(self, alert_id: str, title: str, body: str, severity: Severity, only: set[str] | None = None) -> list[Delivery]:
        urls = [u for u in self.urls if only is None or target_id(u) in only]
        deliveries = [send(url, title, body, severity) for url in urls]  # no DB lock held while sending
        if not deliveries:
            return []
        now = utcnow()
        con = self._connect()
        try:
            con.execute("begin transaction")
            for d in deliveries:
                con.execute(
                    "update alert_deliveries set attempts = attempts + 1, last_attempt_at = ?, "
                    "delivered_at = case when ? then ? else delivered_at end, last_error = ? "
                    "where alert_id = ? and target_id = ?",
                    [now, d.delivered, now, d.error, alert_id, d.target_id],
                )
                if not d.delivered:
                    log.warning("alert %s not delivered to %s: %s", alert_id, d.target, d.error)
            con.execute(
                "update alerts set delivered_to = (select count(*) from alert_deliveries d where d.alert_id = ? and d.delivered_at is not null), "
                "delivered_at = case when (select count(*) from alert_deliveries d where d.alert_id = ? and d.delivered_at is null) = 0 "
                "then ? else null end where alert_id = ?",
                [alert_id, alert_id, now, alert_id],
            )
            con.execute("commit")
        finally:
            con.close()
        return deliveries

    # -- reading ------------------------------------------------------------------------------

    def recent(self, limit: int = 50) -> list[dict]:
        if not self.db_path.exists():
            return []
        con = self._connect()
        try:
            cursor = con.execute(
                "select alert_id, incident_key, kind, state, severity, title, body, source_key, partition_key, file_name, "
                "run_id, raised_at, targets, delivered_to, delivered_at from alerts order by raised_at desc, state desc, alert_id limit ?",
                [limit],
            )
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()
