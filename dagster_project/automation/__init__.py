"""Event-driven operation: sensors that load what arrives, schedules that check freshness, alerts.

    landing.py        landing/incoming/ and `nhs-warehouse ingest` -> one load run per landed file
    publications.py   one sensor per publication: poll the publisher (pollers.py, changes.py) -> loads
    conditions.py     declarative automation: dbt models and the serving snapshot follow raw data
    run_alerts.py     failed runs, failed GX gates and dbt tests (even in successful runs) -> alerts
    freshness.py      nightly per source: late publications alert; landed-but-unloaded periods load
    messages.py       what each alert says
The notifier itself is `dagster_project/alerts.py`.
"""
