"""`nhs-warehouse`: build, ingest, query and inspect the warehouse from a terminal.

    nhs-warehouse build                  land the bundled samples, load what is pending, build and publish marts
    nhs-warehouse build-spark            build the same dbt project on Spark from the raw Parquet mirror (spark group)
    nhs-warehouse ingest PATH... [--source KEY]   put files into the landing store (source found by content)
    nhs-warehouse fetch-cqc [--local-authority NAME] [--region NAME]   capture the CQC API into landing
    nhs-warehouse query SQL [--format table|csv|json]   query the published marts (read-only)
    nhs-warehouse status                 partitions, last loads, failed checks, quarantined files
    nhs-warehouse publish                republish the marts from the warehouse (no loads, no dbt)
    nhs-warehouse daemon                 the Dagster daemon (sensors, schedules, automation) without the UI
    nhs-warehouse dev                    the Dagster UI and daemon for this workspace
    nhs-warehouse docs [--no-serve]      build dbt docs and GX Data Docs into the home and serve them on localhost
    nhs-warehouse report                 write the HTML report from the published marts
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import shlex
import signal
import sys
import time
import warnings
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dagster_project.settings import Settings, load_settings

console = Console(file=sys.__stdout__, highlight=False)
err_console = Console(file=sys.__stderr__, highlight=False)


# ---------------------------------------------------------------------------------------------
# helpers


@contextlib.contextmanager
def captured_output(log_path: Path):
    """Send Dagster's and dbt's chatter to a log file while a spinner shows progress."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield log


def _prepare_dbt() -> None:
    """Parse the dbt project first if a model, macro or seed changed since it was last prepared."""
    from dagster_project.assets.dbt_project import prepare_dbt_project

    with console.status("Preparing the dbt project (dbt parse)…"):
        if prepare_dbt_project():
            console.print("[green]✓[/] dbt project changed since it was prepared: parsed it again")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def _period_label(periods: list[str]) -> str:
    if not periods:
        return "nothing"
    short = [p[:7] for p in periods]
    return short[0] if len(short) == 1 else f"{short[0]} … {short[-1]}"


# ---------------------------------------------------------------------------------------------
# build


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project import runner

    settings.ensure_dirs()
    log_path = settings.home / "logs" / f"build-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    started = time.perf_counter()
    failures: list[str] = []

    _prepare_dbt()
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
    if len(pending) == 1 and not args.force:
        # One source waiting (a new month): one run loads, gates, rebuilds what is downstream, publishes.
        [(source, periods)] = pending.items()
        with console.status(
            f"Loading {source}: {len(periods)} partitions ({_period_label(periods)}) through the gate, "
            "then the dbt models downstream and publish…"
        ), captured_output(log_path):
            step = time.perf_counter()
            summary = runner.run_load(settings, source, periods, state=state)
        failures += _report_run(summary, time.perf_counter() - step, log_path)
    else:
        loaded: set[str] = set()
        for source, periods in pending.items():
            step = time.perf_counter()
            with console.status(f"Loading {source}: {len(periods)} partitions ({_period_label(periods)}) through the gate…"):
                with captured_output(log_path):
                    summary = runner.run_load(settings, source, periods, transform=False)
            if summary.metadata.get(f"raw/{source}", {}).get("partitions_loaded"):
                loaded.add(source)
            failures += _report_run(summary, time.perf_counter() - step, log_path)
        if loaded or args.force or not settings.serving_db.exists():
            step = time.perf_counter()
            with console.status("Building marts (dbt build: models and tests) and publishing the serving DB…"):
                with captured_output(log_path):
                    summary = runner.run_marts(settings, None if args.force or not loaded else loaded)
            failures += _report_run(summary, time.perf_counter() - step, log_path)
        else:
            console.print("[green]✓[/] marts are up to date with raw; nothing to rebuild (use --force to rebuild)")

    _print_build_summary(settings, time.perf_counter() - started)
    if failures:
        err_console.print("\n[red bold]Build finished with failures:[/]")
        for f in failures:
            err_console.print(f"  • {f}")
        err_console.print(f"  Full log: {log_path}")
        if any(f.startswith("run ") for f in failures):
            err_console.print(_tail(log_path))
        return 1
    return 0


def _report_run(summary, seconds: float, log_path: Path) -> list[str]:
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
    for check in summary.failed_checks:
        failures.append(f"check failed: {check}")
        for failure in summary.check_metadata.get(check, {}).get("failures") or []:
            console.print(f"  [red]quarantined[/] {failure['file']} ({failure['partition']}): {failure['message']}")
    if not summary.success:
        failures.append(f"run {summary.job} failed: {summary.error or 'see ' + str(log_path)}")
    return failures


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


def _print_build_summary(settings: Settings, seconds: float) -> None:
    from dagster_project.publish import CURRENT_FILE

    table = Table(title=f"Warehouse at {settings.home}", title_justify="left")
    table.add_column("mart")
    table.add_column("rows", justify="right")
    if settings.serving_db.exists():
        import duckdb

        con = duckdb.connect(str(settings.serving_db), read_only=True)
        try:
            version, tables = con.execute("select version, tables from _publication").fetchone()
        finally:
            con.close()
        for name, rows in sorted(json.loads(tables).items()):
            table.add_row(name, f"{rows:,}")
        console.print(table)
        console.print(f"Serving DB (read-only, for BI tools): [bold]{settings.serving_dir / CURRENT_FILE}[/] (version {version})")
    console.print(f"Built in {seconds:.0f} s.")


# ---------------------------------------------------------------------------------------------
# ingest


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.ingest.intake import intake, intake_folder
    from dagster_project.runner import store_for
    from dagster_project.sources import SOURCES, get_source

    settings.ensure_dirs()
    spec = get_source(args.source) if args.source else None
    store = store_for(settings)
    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        err_console.print(f"[red]✗[/] {p}: no such file")
    bad = bool(missing)
    for path in (p for p in paths if p.exists()):
        # A folder is a capture of many documents (e.g. the CQC API): each source lands its part.
        results = (
            intake_folder(path, store, SOURCES.values(), spec=spec) if path.is_dir()
            else [intake(path, store, SOURCES.values(), spec=spec, max_bytes=settings.max_file_bytes)]
        )
        for result in results:
            mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
            where = f" [dim]({result.source})[/]" if result.source else ""
            console.print(f"{mark} {result.message}{where}")
            bad |= not result.ok
    if not bad:
        console.print("Run [bold]nhs-warehouse build[/] (or let the daemon's sensors) load them.")
    return 1 if bad else 0


# ---------------------------------------------------------------------------------------------
# fetch-cqc


def cmd_fetch_cqc(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from dagster_project.ingest.fetch import FetchError
    from dagster_project.sources.cqc.api import capture_to_landing

    settings.ensure_dirs()
    settings = dataclasses.replace(
        settings,
        cqc_local_authority=args.local_authority or settings.cqc_local_authority,
        cqc_region=args.region or settings.cqc_region,
    )
    try:
        with console.status("Capturing the CQC API (list pages, then every document)…"):
            record, results = capture_to_landing(settings)
    except FetchError as exc:
        err_console.print(f"[red]✗[/] CQC API capture failed, nothing landed: {exc}")
        return 1
    counts = ", ".join(f"{n['listed']} {entity}" for entity, n in record["documents"].items())
    console.print(f"[green]✓[/] captured {counts} as at {record['as_at']}")
    for result in results:
        mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
        console.print(f"{mark} {result.message} [dim]({result.source})[/]")
    return 0 if all(r.ok for r in results) else 1


# ---------------------------------------------------------------------------------------------
# query


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    import duckdb

    if not settings.serving_db.exists():
        err_console.print(f"[red]No published marts at {settings.serving_db}[/]: run `nhs-warehouse build` first.")
        return 1
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        try:
            cursor = con.execute(args.sql)
        except duckdb.Error as exc:
            err_console.print(f"[red]Query failed:[/] {exc}")
            return 1
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall()
    finally:
        con.close()
    write_rows(columns, rows, args.format)
    return 0


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "__float__") and not isinstance(value, (int, float, bool)):
        return float(value)
    return value


def write_rows(columns: list[str], rows: list[tuple], fmt: str) -> None:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_jsonable(v) for v in row] for row in rows])
        sys.stdout.write(buffer.getvalue())
    elif fmt == "json":
        sys.stdout.write(json.dumps([dict(zip(columns, map(_jsonable, row))) for row in rows], indent=2) + "\n")
    else:
        table = Table()
        for c in columns:
            table.add_column(c)
        for row in rows:
            table.add_row(*["" if v is None else (f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)) for v in row])
        console.print(table)
        console.print(f"[dim]{len(rows)} rows[/]")


# ---------------------------------------------------------------------------------------------
# status


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.runner import pending_partitions, store_for
    from dagster_project.sources import SOURCES
    from dagster_project.warehouse import open_warehouse, table_exists

    console.print(f"Warehouse home: [bold]{settings.home}[/]")
    store = store_for(settings)
    pending = pending_partitions(settings) if settings.landing_dir.exists() else {}
    table = Table(title="Sources")
    for c in ("source", "landed files", "partitions loaded", "latest partition", "last load", "pending"):
        table.add_column(c)
    loads: dict[str, tuple] = {}
    failed_checks: list[tuple] = []
    if settings.warehouse_db.exists():
        with open_warehouse(settings.warehouse_db, read_only=True, timeout_s=settings.lock_timeout_s) as con:
            if table_exists(con, "meta.partition_loads"):
                for row in con.execute(
                    "select source_key, count(*), max(period), max(loaded_at) from meta.partition_loads where is_current group by 1"
                ).fetchall():
                    loads[row[0]] = row[1:]
            if table_exists(con, "meta.validation_results"):
                failed_checks = con.execute(
                    "select source_key, period, expectation, column_name, observed, validated_at from meta.validation_results "
                    "where not success order by validated_at desc limit 20"
                ).fetchall()
    for key in SOURCES:
        count, latest, last = loads.get(key, (0, None, None))
        table.add_row(
            key, str(len(store.files(key))), str(count), (latest or "")[:7], str(last or ""),
            str(len(pending.get(key, []))),
        )
    console.print(table)
    if failed_checks:
        checks = Table(title="Failed expectations (latest 20)")
        for c in ("source", "partition", "expectation", "column", "observed", "when"):
            checks.add_column(c)
        for row in failed_checks:
            checks.add_row(*[str(v) if v is not None else "" for v in row])
        console.print(checks)
    quarantined = store.quarantined()
    if quarantined:
        q = Table(title="Quarantined files")
        for c in ("source", "file", "reason", "message", "when"):
            q.add_column(c)
        for r in quarantined[-20:]:
            e = r.get("error", {})
            q.add_row(r["source"], r["original_name"], e.get("reason", ""), e.get("message", ""), r["rejected_at"])
        console.print(q)
    else:
        console.print("No quarantined files.")
    _print_recent_alerts(settings)
    if settings.serving_db.exists():
        from dagster_project.publish import current_version

        console.print(f"Published: {settings.serving_db} (version {current_version(settings.serving_dir)})")
    else:
        console.print("Nothing published yet.")
    return 0


def _print_recent_alerts(settings: Settings) -> None:
    from dagster_project.alerts import Notifier

    alerts = Notifier(settings).recent(limit=10) if settings.alerts_db.exists() else []
    if not alerts:
        return
    t = Table(title=f"Recent alerts ({settings.alerts_db})")
    for c in ("raised", "state", "title", "delivered"):
        t.add_column(c)
    for a in alerts:
        t.add_row(str(a["raised_at"]), a["state"], a["title"], f"{a['delivered_to']}/{a['targets']}")
    console.print(t)


# ---------------------------------------------------------------------------------------------
# publish


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    _prepare_dbt()
    from dagster_project.assets.dbt import published_descriptions, published_models, published_partitions
    from dagster_project.publish import publish
    from dagster_project.warehouse import open_warehouse

    if not settings.warehouse_db.exists():
        err_console.print("[red]No warehouse yet[/]: run `nhs-warehouse build` first.")
        return 1
    settings.ensure_dirs()
    with open_warehouse(settings.warehouse_db, timeout_s=settings.lock_timeout_s) as con:
        result = publish(
            con, [t for _, t in published_models()], settings.serving_dir, grace_s=settings.publish_grace_s,
            partition_by=published_partitions(), descriptions=published_descriptions(),
        )
    console.print(f"[green]✓[/] published version {result.version} ({len(result.tables)} marts) to {result.serving_db}")
    _print_cleanup(result)
    return 0


def _print_cleanup(result) -> None:
    if result.removed_versions:
        console.print(f"  removed {len(result.removed_versions)} superseded versions past their grace period")
    if result.held_versions:
        console.print(
            f"  kept {len(result.held_versions)} superseded versions still open by readers: "
            + ", ".join(result.held_versions)
        )


# ---------------------------------------------------------------------------------------------
# dev


def dagster_env(settings: Settings) -> dict[str, str]:
    """The environment Dagster processes need: the instance home and this warehouse's home."""
    import os

    from dagster_project.runner import ensure_instance_home

    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(ensure_instance_home(settings))
    env["NHS_WAREHOUSE_HOME"] = str(settings.home)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from dagster_project.settings import PROJECT_ROOT

    settings.ensure_dirs()
    _prepare_dbt()
    env = dagster_env(settings)
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", args.host, "-p", str(args.port)]
    console.print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={env['DAGSTER_HOME']})")
    os.execve(command[0], command, env)


def cmd_daemon(args: argparse.Namespace, settings: Settings) -> int:
    """`dagster-daemon run` for this workspace: sensors, schedules, automation and the run queue."""
    import os

    from dagster_project.settings import PROJECT_ROOT

    settings.ensure_dirs()
    _prepare_dbt()
    env = dagster_env(settings)
    daemon = Path(sys.executable).parent / "dagster-daemon"
    command = [str(daemon), "run", "-w", str(PROJECT_ROOT / "workspace.yaml")]
    console.print(
        f"Dagster daemon for {settings.home} (DAGSTER_HOME={env['DAGSTER_HOME']}): watching "
        f"{settings.incoming_dir} every {settings.landing_interval_s} s; alerts to "
        f"{len(settings.alert_urls)} channel(s) and {settings.alerts_db}"
    )
    os.execve(command[0], command, env)


# ---------------------------------------------------------------------------------------------
# docs


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.docs import DocsError, build_docs, docs_server

    try:
        with console.status("Building dbt docs (waits for a running load's lock) and GX Data Docs…"):
            with captured_output(settings.home / "logs" / f"docs-{dt.datetime.now():%Y%m%d-%H%M%S}.log"):
                site = build_docs(settings)
    except DocsError as exc:
        err_console.print(f"[red]✗[/] {exc}")
        return 1
    console.print(f"[green]✓[/] dbt docs: {site.models} models  [dim]{site.dbt_index}[/]")
    console.print(f"[green]✓[/] GX Data Docs: {site.validations} validation results  [dim]{site.gx_index}[/]")
    if args.no_serve:
        console.print(f"Open {site.root / 'index.html'} (dbt's site needs a server; dbt/static_index.html does not).")
        return 0
    server = docs_server(site.root, args.host, args.port)
    # Stop on SIGTERM even when started by a process that ignores it: an ignored signal stays
    # ignored across exec (Dagster's in-process runs leave SIGTERM ignored where SIGINT is, unless
    # run through runner.sigterm_kept).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    host, port = server.server_address[:2]
    console.print(f"Serving the docs on [bold]http://{host}:{port}/[/] (Ctrl-C to stop)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


# ---------------------------------------------------------------------------------------------
# report


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.report import ReportError, build_report

    try:
        report = build_report(settings)
    except ReportError as exc:
        err_console.print(f"[red]✗[/] {exc}")
        return 1
    for section in report.sections:
        mark = "[green]✓[/]" if section.loaded else "[yellow]–[/]"
        note = "" if section.loaded else "  [dim](not in this publication yet)[/]"
        console.print(f"{mark} {section.title}{note}")
    console.print(f"Report of publication {report.version}: [bold]{report.path}[/]")
    return 0


def cmd_explain(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.assets.dbt_project import require_manifest
    from dagster_project.explain import ExplainError, explain, render_text

    try:
        result = explain(settings, require_manifest(), args.mart, args.where, args.column)
    except ExplainError as exc:
        print(exc, file=sys.stderr)  # one line, however wide the terminal
        return 2
    if args.format == "json":
        print(json.dumps(result.as_dict(), indent=2, default=str))
    else:
        print(render_text(result))
    return 0


# ---------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nhs-warehouse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="land samples, load pending partitions, build and publish marts")
    b.add_argument("--no-samples", action="store_true", help="do not land the bundled samples first")
    b.add_argument("--force", action="store_true", help="rebuild and republish marts even if no raw data changed")
    s = sub.add_parser("build-spark", help="build the dbt project on Spark from the raw Parquet mirror (needs the spark group)")
    s.add_argument("--dbt-args", default="", help="more arguments for dbt build, e.g. --dbt-args '--select marts'")
    i = sub.add_parser("ingest", help="put files into the landing store")
    i.add_argument("paths", nargs="+")
    i.add_argument("--source", help="source key (default: detected from the file's content)")
    f = sub.add_parser("fetch-cqc", help="capture the CQC API (settings: NHS_WAREHOUSE_CQC_*) into the landing store")
    f.add_argument("--local-authority", help="only this local authority's locations (default: NHS_WAREHOUSE_CQC_LOCAL_AUTHORITY)")
    f.add_argument("--region", help="only this CQC region's locations (default: NHS_WAREHOUSE_CQC_REGION)")
    q = sub.add_parser("query", help="query the published marts, read-only")
    q.add_argument("sql")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sub.add_parser("status", help="partitions, last loads, failed checks, quarantined files")
    sub.add_parser("publish", help="republish the marts from the warehouse")
    sub.add_parser("daemon", help="the Dagster daemon (sensors, schedules, automation) without the UI")
    d = sub.add_parser("dev", help="the Dagster UI and daemon for this workspace")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=3000)
    docs = sub.add_parser("docs", help="build dbt docs and GX Data Docs into the home and serve them on localhost")
    docs.add_argument("--no-serve", action="store_true", help="build only")
    docs.add_argument("--host", default="127.0.0.1")
    docs.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    sub.add_parser("report", help="write the HTML report from the published marts")
    e = sub.add_parser("explain", help="trace a published number to the files, rows, checks and vintages that made it")
    e.add_argument("mart", help="a published mart, e.g. mart_uec_region_month")
    e.add_argument("--where", required=True, help="SQL predicate on the mart, e.g. \"region_name = 'London'\"")
    e.add_argument("--column", help="the column whose value to explain")
    e.add_argument("--format", choices=["text", "json"], default="text")
    return p


COMMANDS = {
    "build": cmd_build,
    "build-spark": cmd_build_spark,
    "ingest": cmd_ingest,
    "fetch-cqc": cmd_fetch_cqc,
    "query": cmd_query,
    "status": cmd_status,
    "publish": cmd_publish,
    "daemon": cmd_daemon,
    "dev": cmd_dev,
    "docs": cmd_docs,
    "report": cmd_report,
    "explain": cmd_explain,
}


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", module="dagster")
    args = parser().parse_args(argv)
    settings = load_settings()
    try:
        return COMMANDS[args.command](args, settings)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130


def entrypoint() -> None:
    """The console script. Exits without interpreter finalisation: duckdb 2.0's nanobind bindings
    print a screen of benign "leaked function" warnings at shutdown when other libraries (GX,
    SQLAlchemy) still hold DuckDB type objects, which would bury the command's own output."""
    import os

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entrypoint()
