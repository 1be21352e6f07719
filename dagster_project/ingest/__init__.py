"""Generic ingest machinery: fetch, landing store, tabular parsing, loading into DuckDB.

Nothing in this package knows about NHS publications; source specs in `dagster_project.sources`
describe those, and this package carries them out.
"""
