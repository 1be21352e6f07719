"""What a Dagster run did, printed the same way whichever command started it (build, publish)."""

from __future__ import annotations

import contextlib

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from rich.table import Table

from dagster_project.assets.check_names import SOURCE_FRESHNESS_CHECK as FRESHNESS_CHECK
from dagster_project.cli.output import captured_output, console
from dagster_project.settings import Settings

if TYPE_CHECKING:
    from dagster_project.runner import RunSummary


def run_and_report(label: str, log_path: Path, run: Callable[[], "RunSummary"], progress=None) -> tuple["RunSummary", list[str]]:
    """Start a run behind a spinner, or behind `progress`'s bar when several runs make one command
    (its logs to `log_path`); print what it did, return it and its failures."""
    started = time.perf_counter()
    if progress is not None:
        progress.update(progress.task_ids[0], description=label)
    with console.status(label) if progress is None else contextlib.nullcontext(), captured_output(log_path):
        summary = run()
    return summary, report_run(summary, time.perf_counter() - started, log_path)


def report_run(summary, seconds: float, log_path: Path) -> list[str]:
    """Print what one run did (its loads, dbt, publish) and return its failures, one line each."""
    failures: list[str] = []
    took = f"  [dim]{seconds:.0f} s[/]"
    for key in dict.fromkeys(k for k in summary.materialized if k.startswith("raw/")):
        meta = summary.metadata.get(key, {})
        ok = not any(c.startswith(f"{key}:") for c in summary.failed_checks)
        console.print(
            f"{'[green]✓[/]' if ok else '[red]✗[/]'} {key}: {meta.get('partitions_loaded', 0)} partitions loaded "
            f"({meta.get('rows_loaded', 0):,} rows), {meta.get('partitions_unchanged', 0)} unchanged, "
            f"{meta.get('partitions_quarantined', 0)} quarantined{took}"
        )
        took = ""
    dbt_checks = {name: passed for name, passed in summary.check_results.items() if not name.startswith("raw/")}
    models = [m for m in summary.materialized if not m.startswith(("raw/", "serving/"))]
    if models or dbt_checks:
        ok = not any(not c.startswith("raw/") for c in summary.failed_checks)
        console.print(
            f"{'[green]✓[/]' if ok else '[red]✗[/]'} dbt build: {len(models)} models and seeds, "
            f"{sum(dbt_checks.values())}/{len(dbt_checks)} checks passed{took}"
        )
    if "serving/marts" in summary.materialized:
        console.print(f"[green]✓[/] published {summary.metadata['serving/marts'].get('version')}")
    freshness = {name: passed for name, passed in summary.check_results.items() if name.endswith(f":{FRESHNESS_CHECK}")}
    never = sorted(n for n in freshness if summary.check_metadata.get(n, {}).get("never_loaded"))
    stale = sorted(n for n, passed in freshness.items() if not passed and n not in never)
    if freshness:
        mark = "[yellow]![/]" if stale else "[green]✓[/]"
        unloaded = (
            f" ({len(never)} never loaded: {', '.join(n.split(':')[0].removeprefix('raw/') for n in never)})" if never else ""
        )
        console.print(
            f"{mark} dbt source freshness: {sum(freshness.values())}/{len(freshness) - len(never)} loaded raw tables "
            f"within their release cadence{unloaded}{took}"
        )
    for name in stale:
        # Stale is the publisher's or the schedule's news, not this build's failure: it alerts, and is shown.
        console.print(f"  [yellow]stale[/] {name.split(':')[0]}: {summary.check_descriptions.get(name, '')}")
    for check in (c for c in summary.failed_checks if c not in freshness):
        failures.append(f"check failed: {check}")
        for failure in summary.check_metadata.get(check, {}).get("failures") or []:
            console.print(f"  [red]quarantined[/] {failure['file']} ({failure['partition']}): {failure['message']}")
    if not summary.success:
        failures.append(f"run {summary.job} failed: {summary.error or 'see ' + str(log_path)}")
    return failures


def print_build_summary(settings: Settings, seconds: float) -> None:
    from dagster_project.serving.publish import CURRENT_FILE

    table = Table(title=f"Warehouse at {settings.home}", title_justify="left")
    table.add_column("mart")
    table.add_column("rows", justify="right")
    if settings.serving_db.exists():
        import duckdb

        from dagster_project.warehouse import single_row

        con = duckdb.connect(str(settings.serving_db), read_only=True)
        try:
            version, tables = single_row(con, "select version, tables from _publication")
        finally:
            con.close()
        for name, rows in sorted(json.loads(tables).items()):
            table.add_row(name, f"{rows:,}")
        console.print(table)
        console.print(f"Serving DB (read-only, for BI tools): [bold]{settings.serving_dir / CURRENT_FILE}[/] (version {version})")
    console.print(f"Built in {seconds:.0f} s.")


def print_cleanup(result) -> None:
    if result.removed_versions:
        console.print(f"  removed {len(result.removed_versions)} superseded versions past their grace period")
    if result.held_versions:
        console.print(
            f"  kept {len(result.held_versions)} superseded versions still open by readers: " + ", ".join(result.held_versions)
        )
