"""The names of the warehouse's own asset checks, for the modules that define them and those that read
their results (the CLI's report, the run alert sensor) without importing the definitions."""

# The Great Expectations gate on each raw asset (assets/raw.py): blocking, one evaluation per run.
GATE_CHECK = "great_expectations_gate"
# dbt source freshness of each raw table (assets/source_freshness.py).
SOURCE_FRESHNESS_CHECK = "dbt_source_freshness"
