"""`python -m dagster_project.cli` is the `nhs-warehouse` command."""

from dagster_project.cli import entrypoint

entrypoint()
