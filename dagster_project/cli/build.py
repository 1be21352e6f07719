"""`build`, `build-spark` and `publish`: load what waits, rebuild what depends on it, publish."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import shlex
import time

from dagster_project.cli.output import captured_output, console, err_console, period_label, progress_bar, tail
from dagster_project.cli.runs import print_build_summary, print_cleanup, run_and_report
from dagster_project.settings import Settings


def prepare_dbt() -> None:
    """Parse the dbt project first if a model, macro or seed changed since it was last prepared."""
    from dagster_project.assets.dbt_project import prepare_dbt_project

    with console.status("Preparing the dbt project (dbt parse)…"):
        if prepare_dbt_project():
            console.print("[green]✓[/] dbt project changed since it was prepared: parsed it again")


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project import runner

    settings.ensure_dirs()
    log_path = settings.home / "logs" / f"build-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    started = time.perf_counter()
    failures: list[str] = []

    prepare_dbt()
    if not args.no_samples:
        with console.status("Landing the bundled sample extracts…"):
            results = runner.land_samples(settings)
        new = sum(r.status == "landed" for r in results)
        rejected = [r for r in results if not r.ok]
        console.print(f"[green]✓[/] landed {new} new sample files ({len(results) - new - len(rejected)} already landed)")
        for r in rejected:
            console.print(f"[red]✗[/] {r.message}")
            failures.append(f"sample rejected: {r.message}")

    state = runner.load_state(settings)
    pending = runner.pending_partitions(settings, state)
    if not pending:
        console.print("[green]✓[/] no pending partitions: every landed file's vintage is loaded")
    freshness_due = False
    forced = args.force is not None  # `--force` alone: every mart; `--force SOURCE...`: what is downstream of them
    if len(pending) == 1 and not forced:
        # One source waiting (a new month): one run loads, gates, rebuilds what is downstream, publishes.
        [(source, periods)] = pending.items()
        _, failed = run_and_report(
            f"Loading {source}: {len(periods)} partitions ({period_label(periods)}) through the gate, "
            "then the dbt models downstream and publish…",
            log_path,
            lambda: runner.run_load(settings, source, periods, state=state),
        )
        failures += failed
    else:
        loaded: set[str] = set()
        with progress_bar("sources loaded") as progress:
            progress.add_task("Loading", total=len(pending))
            for source, periods in pending.items():
                summary, failed = run_and_report(
                    f"Loading {source}: {len(periods)} partitions ({period_label(periods)}) through the gate…",
                    log_path,
                    functools.partial(runner.run_load, settings, source, periods, transform=False),
                    progress,
                )
                progress.advance(progress.task_ids[0])
                failures += failed
                if summary.metadata.get(f"raw/{source}", {}).get("partitions_loaded"):
                    loaded.add(source)
        if loaded or forced or not settings.serving_db.exists():
            downstream_of = loaded | set(args.force or ())
            every_mart = args.force == [] or not downstream_of
            _, failed = run_and_report(
                "Building marts (dbt build: models and tests) and publishing the serving DB…",
                log_path,
                lambda: runner.run_marts(settings, None if every_mart else downstream_of),
            )
            failures += failed
            freshness_due = every_mart or len(downstream_of) > 1
        else:
            console.print("[green]✓[/] marts are up to date with raw; nothing to rebuild (use --force to rebuild)")

    if freshness_due:
        # Whether each source is within its release cadence (dbt source freshness), after a build of
        # several sources or of everything. One new month (or the marts of one source rebuilt by
        # `--force SOURCE`) is an event, as the daemon's are: its run stays one run, and the nightly
        # schedule asks freshness whether or not anything ran.
        _, failed = run_and_report(
            "Checking source freshness (dbt source freshness)…", log_path, lambda: runner.run_source_freshness(settings)
        )
        failures += failed
    print_build_summary(settings, time.perf_counter() - started)
    if failures:
        err_console.print("\n[red bold]Build finished with failures:[/]")
        for f in failures:
            err_console.print(f"  • {f}")
        err_console.print(f"  Full log: {log_path}")
        if any(f.startswith("run ") for f in failures):
            err_console.print(tail(log_path))
        return 1
    return 0


def cmd_build_spark(args: argparse.Namespace, settings: Settings) -> int:
    """The marts on Spark (dbt-spark, local session), from the raw layer a DuckDB build loaded."""
    try:
        from dagster_project.spark_build import build_on_spark
        import pyspark  # noqa: F401  (the spark dependency group)
    except ImportError:
        err_console.print("[red]pyspark is not installed[/]: `uv sync --group spark` (or `make test-parity`) installs it")
        return 2
    if not settings.warehouse_db.exists():
        err_console.print(f"[red]no warehouse at {settings.warehouse_db}[/]: run `nhs-warehouse build` first")
        return 2
    log_path = settings.home / "logs" / f"build-spark-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    with console.status("Building on Spark (mirror raw to Parquet, register it, dbt build --target spark)…"):
        with captured_output(log_path):
            result = build_on_spark(settings, tuple(shlex.split(args.dbt_args)))
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.statuses.items()))
    mark = "[green]✓[/]" if result.success else "[red]✗[/]"
    console.print(
        f"{mark} dbt build on Spark: {counts}  [dim]{result.seconds:.0f} s; {result.raw_tables} raw tables, "
        f"{result.mirror_files_written} mirror files written[/]"
    )
    console.print(f"  tables: {settings.spark_dir / 'warehouse'}   log: {log_path}")
    for failure in result.failures:
        err_console.print(f"  [red]•[/] {failure}")
    return 0 if result.success else 1


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    prepare_dbt()
    from dagster_project.assets.dbt import published_descriptions, published_models, published_partitions
    from dagster_project.serving.publish import publish
    from dagster_project.warehouse import open_warehouse

    if not settings.warehouse_db.exists():
        err_console.print("[red]No warehouse yet[/]: run `nhs-warehouse build` first.")
        return 1
    settings.ensure_dirs()
    with open_warehouse(settings.warehouse_db, timeout_s=settings.lock_timeout_s) as con:
        result = publish(
            con,
            [t for _, t in published_models()],
            settings.serving_dir,
            grace_s=settings.publish_grace_s,
            partition_by=published_partitions(),
            descriptions=published_descriptions(),
        )
    console.print(f"[green]✓[/] published version {result.version} ({len(result.tables)} marts) to {result.serving_db}")
    print_cleanup(result)
    return 0
