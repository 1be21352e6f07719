"""`query`, `status`, `report`, `docs`, `explain`: read the warehouse and what it published, never write it."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys

from rich.table import Table

from dagster_project.cli import status_queries
from dagster_project.cli.output import captured_output, console, err_console, write_rows
from dagster_project.settings import Settings


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


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.ingest.spec import SCHEMA_ONLY_WORDS
    from dagster_project.runner import pending_partitions, store_for
    from dagster_project.sources import SOURCES
    from dagster_project.warehouse import open_warehouse

    console.print(f"Warehouse home: [bold]{settings.home}[/]")
    store = store_for(settings)
    pending = pending_partitions(settings) if settings.landing_dir.exists() else {}
    table = Table(title="Sources")
    for c in ("source", "landed files", "partitions loaded", "latest partition", "last load", "pending"):
        table.add_column(c)
    loads: dict[str, tuple] = {}
    failed_checks: list[tuple] = []
    schema_only_loaded: list[tuple] = []
    if settings.warehouse_db.exists():
        with open_warehouse(settings.warehouse_db, read_only=True, timeout_s=settings.lock_timeout_s) as con:
            loads = status_queries.current_loads(con)
            failed_checks = status_queries.failed_expectations(con, limit=20)
            schema_only_loaded = status_queries.schema_only_parts_with_rows(con, SOURCES.values())
    for key in SOURCES:
        count, latest, last = loads.get(key, (0, None, None))
        table.add_row(
            key,
            str(len(store.files(key))),
            str(count),
            (latest or "")[:7],
            str(last or ""),
            str(len(pending.get(key, []))),
        )
    console.print(table)
    for key, spec in SOURCES.items():
        # A layout never read from a real published file: what loaded may not be what the publisher means.
        if loads.get(key, (0,))[0] and not spec.layout_verified:
            console.print(
                f"[yellow]⚠ {key}: its layout is unverified[/] (no real published file bundled: "
                f"{spec.sample_absent_because}); check what loaded against the publisher's own figures"
            )
    for spec, part, rows in schema_only_loaded:
        # Rows of a part no bundled real file has exercised: read as the publisher's schema describes it.
        console.print(
            f"[yellow]⚠ {spec.key}: {rows} rows of its {part.table} part, whose layout is {SCHEMA_ONLY_WORDS}[/] "
            f"({part.schema}: {part.because}); check them against the publisher's own figures"
        )
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
    print_recent_alerts(settings)
    if settings.serving_db.exists():
        from dagster_project.serving.publish import current_version

        console.print(f"Published: {settings.serving_db} (version {current_version(settings.serving_dir)})")
    else:
        console.print("Nothing published yet.")
    return 0


def print_recent_alerts(settings: Settings) -> None:
    from dagster_project.alerting.alerts import Notifier

    alerts = Notifier(settings).recent(limit=10) if settings.alerts_db.exists() else []
    if not alerts:
        return
    t = Table(title=f"Recent alerts ({settings.alerts_db})")
    for c in ("raised", "state", "title", "delivered"):
        t.add_column(c)
    for a in alerts:
        t.add_row(str(a["raised_at"]), a["state"], a["title"], f"{a['delivered_to']}/{a['targets']}")
    console.print(t)


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.reporting.docs import DocsError, build_docs, docs_server

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
    host, port = server.socket.getsockname()[:2]  # the bound address: a str host, the port chosen for port 0
    console.print(f"Serving the docs on [bold]http://{host}:{port}/[/] (Ctrl-C to stop)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.assets.dbt_project import require_manifest
    from dagster_project.reporting.report import ReportError, build_report

    try:
        manifest = require_manifest()
    except RuntimeError:
        manifest = None  # the explanation pages say how to prepare it; the report itself needs none
    try:
        report = build_report(settings, manifest)
    except ReportError as exc:
        err_console.print(f"[red]✗[/] {exc}")
        return 1
    for section in report.sections:
        mark = "[green]✓[/]" if section.loaded else "[yellow]–[/]"
        note = "" if section.loaded else "  [dim](not in this publication yet)[/]"
        console.print(f"{mark} {section.title}{note}")
    if report.explain_pages:
        console.print(
            f"Where the numbers come from: {len(report.explain_pages)} pages in [dim]{report.explain_pages[0].parent}[/]"
        )
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
