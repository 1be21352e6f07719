"""`check-registry`: every source spec against the pieces written beside it (sources/registry_check.py)."""

from __future__ import annotations

import argparse

from dagster_project.cli.output import console, err_console
from dagster_project.settings import Settings


def cmd_check_registry(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.sources import get_source
    from dagster_project.sources.registry_check import check_registry, dbt_source_entry, write_readme

    if args.dbt_source:
        console.print(dbt_source_entry(get_source(args.dbt_source)), markup=False, soft_wrap=True)
        return 0
    if args.write and write_readme():
        console.print("[green]✓[/] rewrote the README's source table from the specs")
    problems = check_registry()
    for problem in problems:
        err_console.print(f"[red]✗[/] {problem}")
    if not problems:
        console.print("[green]✓[/] every source spec agrees with its suite, dbt source, staging model, sample and README row")
    return 1 if problems else 0
