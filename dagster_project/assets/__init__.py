"""Dagster assets: raw loads built from source specs, the dbt project, and the published serving DB."""
