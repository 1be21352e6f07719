"""What every command prints with: the consoles, a log for Dagster's and dbt's chatter, result rows."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console(file=sys.__stdout__, highlight=False)

err_console = Console(file=sys.__stderr__, highlight=False)


def progress_bar(what: str):
    """A progress bar with counts (done/total, elapsed) for work in several steps; on a terminal only
    (piped output and CI logs get the one-line results, not redraws)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(what),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@contextlib.contextmanager
def captured_output(log_path: Path):
    """Send Dagster's and dbt's chatter to a log file while a spinner shows progress."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield log


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def period_label(periods: list[str]) -> str:
    if not periods:
        return "nothing"
    short = [p[:7] for p in periods]
    return short[0] if len(short) == 1 else f"{short[0]} … {short[-1]}"


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
        sys.stdout.write(json.dumps([dict(zip(columns, map(_jsonable, row), strict=True)) for row in rows], indent=2) + "\n")
    else:
        table = Table()
        for c in columns:
            table.add_column(c)
        for row in rows:
            table.add_row(
                *[
                    "" if v is None else (f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v))
                    for v in row
                ]
            )
        console.print(table)
        console.print(f"[dim]{len(rows)} rows[/]")
