"""The serving snapshot BI tools read: versioned Parquet and a read-only marts.duckdb of views.

publish.py   write a new version (hard-linking unchanged files), rename marts.duckdb into place,
             remove versions no reader holds once the grace period has passed
assets.py    the Dagster asset that publishes after the marts it serves have built
"""
