"""`ingest` and `fetch-cqc`: put files into the landing store."""

from __future__ import annotations

import argparse
from pathlib import Path

from dagster_project.cli.output import progress_bar, console, err_console
from dagster_project.settings import Settings


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
        err_console.print(f"[red]✗[/] {p}: no such file or folder")
    bad = bool(missing)
    present = [p for p in paths if p.exists()]
    with progress_bar("files") as progress:
        task = progress.add_task("Landing", total=len(present))
        for path in present:
            progress.update(task, description=f"Landing {path.name}")
            # A folder is a capture of many documents (e.g. the CQC API): each source lands its part.
            results = (
                intake_folder(path, store, SOURCES.values(), spec=spec)
                if path.is_dir()
                else [intake(path, store, SOURCES.values(), spec=spec, max_bytes=settings.max_file_bytes)]
            )
            for result in results:
                mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
                where = f" [dim]({result.source})[/]" if result.source else ""
                console.print(f"{mark} {result.message}{where}")
                bad |= not result.ok
            progress.advance(task)
    if not bad:
        console.print("Run [bold]nhs-warehouse build[/] (or let the daemon's sensors) load them.")
    # A path that does not exist is a usage error (2); a file refused on its content is a data error (1).
    return 2 if missing else (1 if bad else 0)


def cmd_fetch_cqc(args: argparse.Namespace, settings: Settings) -> int:

    from dagster_project.ingest.fetch import FetchError
    from dagster_project.sources.cqc.api import capture_to_landing

    settings.ensure_dirs()
    settings = settings.replace(
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
