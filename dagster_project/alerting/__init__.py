"""Alerts: what failed, said once, reminded while unresolved, resolved when a later load passes.

alerts.py       the notifier: the alerts table in alerts.duckdb, apprise delivery, retries,
                reminders and resolution
run_alerts.py   the sensor reading finished runs: failed runs, GX gates and dbt tests (even in
                runs that succeeded) -> alerts
overdue.py      Dagster's freshness verdicts on raw assets (not loaded within their cadence) -> alerts
messages.py     what each alert says (what failed, where, what was kept, links)
"""
