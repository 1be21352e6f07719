"""Event-driven operation: sensors that load what arrives, schedules that check freshness.

    landing.py        landing/incoming/ and `nhs-warehouse ingest` -> one load run per landed file
    publications.py   one sensor per publication: poll the publisher (pollers.py, changes.py) -> loads
    conditions.py     declarative automation: dbt models and the serving snapshot follow raw data
    freshness.py      nightly per source: late publications alert; landed-but-unloaded periods load
Alerts (the notifier, the run-alert sensor and what each alert says) are `dagster_project/alerting/`.
"""
