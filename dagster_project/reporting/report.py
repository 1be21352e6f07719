"""The warehouse's report for people: one static HTML page, `$NHS_WAREHOUSE_HOME/report/index.html`,
written by `nhs-warehouse report` from the published marts (the read-only serving DB, like any BI
tool), so it shows exactly one publication and never waits for a running load; beside it, a page
per section explaining its key numbers (`report/explain/<section>.html`).

Sections (sections.py): State of Care figure 20 (12-hour waits from decision to admit by region, June
2023) as a table and a bar chart; the 12-hour-wait trend by region; ambulance response times against
their standards; mental-health out-of-area placements; the CQC ratings distribution; carers'
measures and NHS staff sickness absence by region.

Pages are Jinja templates (templates/, autoescaped); charts are matplotlib figures inlined as SVG
(charts.py). The pages have no scripts and fetch nothing: they open from a shared drive or an email
attachment with no network.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from dagster_project.reporting.explain_pages import ExplainedNumber, explain_key_numbers
from dagster_project.reporting.sections import SECTIONS, RATINGS, Marts, Section
from dagster_project.settings import Settings
from dagster_project.warehouse import single_row

EXPLAIN_DIR = "explain"


class ReportError(RuntimeError):
    pass


@dataclass(frozen=True)
class Report:
    path: Path
    version: str
    sections: list[Section] = field(default_factory=list)
    explain_pages: list[Path] = field(default_factory=list)


def _count(value) -> str:
    return "" if value is None else f"{value:,.0f}"


def _pct(value, places: int = 1) -> str:
    return "" if value is None else f"{value:.{places}f}%"


def _minutes_seconds(seconds) -> str:
    """A response time as people read it: 7:12 for 432 seconds."""
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dagster_project.reporting", "templates"),
        autoescape=True,  # every value is escaped unless it is Markup (the charts' SVG)
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(count=_count, pct=_pct, min_sec=_minutes_seconds)
    env.globals.update(ratings=RATINGS, explain_dir=EXPLAIN_DIR)
    return env


def _write(path: Path, text: str) -> None:
    """Someone may have the page open: swap it in whole, never half-write it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _read_publication(settings: Settings) -> tuple[dict, list[Section]]:
    if not settings.serving_db.exists():
        raise ReportError(f"No published marts at {settings.serving_db}: run `nhs-warehouse build` first.")
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        version, published_at, tables = single_row(con, "select version, published_at, tables from _publication")
        marts = Marts(con)
        sections = [make(marts) for make in SECTIONS]
    finally:
        con.close()  # explain attaches the same file with its own configuration: one open at a time
    publication = {"version": version, "published_at": f"{published_at:%d %B %Y %H:%M} UTC", "tables": json.loads(tables)}
    return publication, sections


def build_report(settings: Settings, manifest: Path | None = None) -> Report:
    """Write the report and its explanation pages; `manifest` is the dbt manifest explain traces
    models with (without it the pages say how to prepare it)."""
    publication, sections = _read_publication(settings)
    env = environment()
    written_at = dt.datetime.now(dt.timezone.utc).strftime("%d %B %Y %H:%M UTC")

    explain_dir = settings.report_dir / EXPLAIN_DIR
    pages: list[Path] = []
    for section in sections:
        if not section.key_numbers:
            continue
        numbers: list[ExplainedNumber] = explain_key_numbers(settings, manifest, section.key_numbers)
        page = explain_dir / f"{section.anchor}.html"
        _write(
            page,
            env.get_template("explain.html.j2").render(
                section=section,
                numbers=numbers,
                publication=publication,
                written_at=written_at,
            ),
        )
        pages.append(page)
    for stale in explain_dir.glob("*.html") if explain_dir.exists() else []:
        if stale not in pages:  # a section whose marts this publication no longer has
            stale.unlink()

    # Rendered (and escaped) by their own templates, then placed in the page as they are.
    bodies = {s.anchor: Markup(env.get_template(s.template).render(**s.context)) for s in sections}
    target = settings.report_dir / "index.html"
    _write(
        target,
        env.get_template("report.html.j2").render(
            sections=sections,
            bodies=bodies,
            publication=publication,
            written_at=written_at,
            explained={p.stem for p in pages},
        ),
    )
    return Report(target, publication["version"], sections, pages)
