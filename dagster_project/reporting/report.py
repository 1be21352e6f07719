"""The warehouse's report for people: one static HTML page, `$NHS_WAREHOUSE_HOME/report/index.html`,
written by `nhs-warehouse report` from the published marts (the read-only serving DB, like any BI
tool), so it shows exactly one publication and never waits for a running load.

Sections: State of Care figure 20 (12-hour waits from decision to admit by region, June 2023) as a
table and a bar chart; the 12-hour-wait trend by region over every loaded month; the CQC ratings
distribution; carers' measures and NHS staff sickness absence by region. A family whose marts are
not published yet gets a sentence saying so instead of a section that breaks.

The page has no scripts and fetches nothing: charts are inline SVG (svg_charts.py).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.settings import Settings
from dagster_project.reporting.svg_charts import bar_chart, line_chart, stacked_bar_chart

FIGURE_20_MONTH = dt.date(2023, 6, 1)
RATINGS = ["Outstanding", "Good", "Requires improvement", "Inadequate"]
RATING_COLOURS = {"Outstanding": "#00703c", "Good": "#4c9f38", "Requires improvement": "#f29200", "Inadequate": "#d5281b"}


class ReportError(RuntimeError):
    pass


@dataclass
class Section:
    anchor: str
    title: str
    body: str
    loaded: bool = True


@dataclass(frozen=True)
class Report:
    path: Path
    version: str
    sections: list[Section] = field(default_factory=list)


def _e(value: object) -> str:
    return html.escape(str(value))


def _count(value) -> str:
    return "" if value is None else f"{value:,.0f}"


def _pct(value) -> str:
    return "" if value is None else f"{value:.1f}%"


def _table(headers: list[str], rows: list[list[str]], *, table_id: str | None = None, numeric_from: int = 1) -> str:
    ident = f' id="{table_id}"' if table_id else ""
    head = "".join(f'<th{" class=num" if i >= numeric_from else ""}>{_e(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i >= numeric_from else ""}>{_e(c)}</td>' for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _not_loaded(what: str, mart: str) -> str:
    return (
        f'<p class="not-loaded">{_e(what)} are not in this publication yet (no <code>{_e(mart)}</code> among the '
        "published marts). Load them with <code>nhs-warehouse ingest</code> or the sensors, run "
        "<code>nhs-warehouse build</code>, then <code>nhs-warehouse report</code> again.</p>"
    )


class Marts:
    """The published marts, read-only, and which of them this publication has."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.names = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
        self.names |= {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}

    def has(self, *marts: str) -> bool:
        return all(m in self.names for m in marts)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()


# ---------------------------------------------------------------------------------------------
# sections


def figure_20(marts: Marts) -> Section:
    title = "Patients waiting over 12 hours from decision to admit, June 2023"
    if not marts.has("mart_uec_region_month"):
        return Section("figure-20", title, _not_loaded("A&E figures", "mart_uec_region_month"), loaded=False)
    rows = marts.rows(
        "select region_name, dta_waits_over_12h, emergency_admissions_via_ae, pct_dta_over_12h, is_england "
        "from mart_uec_region_month where month_start = ? order by is_england, region_name",
        [FIGURE_20_MONTH],
    )
    if not rows:
        return Section("figure-20", title, "<p class=not-loaded>June 2023 is not among the loaded A&amp;E months.</p>", loaded=False)
    table = _table(
        ["Region", "Patients waiting over 12 hours", "Emergency admissions via A&E", "% of admissions"],
        [[r[0], _count(r[1]), _count(r[2]), _pct(r[3])] for r in rows],
        table_id="figure-20-table",
    )
    chart = bar_chart([(r[0], r[1]) for r in rows if not r[4]], title=f"{title}, by NHS England region")
    body = (
        "<p>State of Care 2022/23, figure 20: patients who waited more than 12 hours from a decision to admit "
        "to admission, by NHS England region (NHS England, A&amp;E Attendances and Emergency Admissions). "
        "The warehouse holds NHS England's June 2024 revision of June 2023, so Midlands (6,217 in print) and "
        "North West (6,323) differ slightly from the printed figure; every other region matches it.</p>"
        f'<figure id="figure-20-chart">{chart}</figure>{table}'
    )
    return Section("figure-20", title, body)


def twelve_hour_trend(marts: Marts) -> Section:
    title = "12-hour waits from decision to admit, by region and month"
    if not marts.has("mart_uec_region_month"):
        return Section("trend-12h", title, _not_loaded("A&E figures", "mart_uec_region_month"), loaded=False)
    rows = marts.rows(
        "select region_name, month_start, dta_waits_over_12h from mart_uec_region_month "
        "where not is_england order by region_name, month_start"
    )
    series: dict[str, list[tuple[dt.date, float]]] = {}
    for region, month, waits in rows:
        series.setdefault(region, []).append((month, waits or 0))
    months = sorted({m for _, m, _ in rows})
    if not months:
        return Section("trend-12h", title, "<p class=not-loaded>No A&amp;E months are loaded.</p>", loaded=False)
    first, last = months[0], months[-1]
    latest = sorted(((r, v[-1][1]) for r, v in series.items()), key=lambda item: -item[1])
    chart = line_chart(series, title=title, y_label="patients waiting over 12 hours")
    body = (
        f"<p>Every loaded month, {first:%B %Y} to {last:%B %Y} ({len(months)} months). The legend gives each "
        f"region's figure for {last:%B %Y}.</p><figure>{chart}</figure>"
        + _table(["Region", f"{last:%B %Y}"], [[r, _count(v)] for r, v in latest], table_id="trend-12h-latest")
    )
    return Section("trend-12h", title, body)


def ratings_distribution(marts: Marts) -> Section:
    title = "CQC ratings: overall rating of locations, by region"
    if not marts.has("mart_ratings_distribution"):
        return Section("ratings", title, _not_loaded("CQC ratings", "mart_ratings_distribution"), loaded=False)
    # Each ratings source (API capture, ratings export) as at its own newest snapshot, as the mart
    # keeps them: they cover different locations, so they are shown side by side, not added.
    rows = marts.rows(
        """
        select source, as_at_date, area_level, area_name, rating, locations, pct_of_rated, rated_locations
        from mart_ratings_distribution
        where service is null and key_question = 'Overall' and sector = 'All sectors'
          and primary_inspection_category = 'All categories' and area_level in ('england', 'region') and is_rated
        order by as_at_date desc, source, area_level = 'region', area_name
        """
    )
    if not rows:
        return Section("ratings", title, "<p>The published ratings hold no overall ratings of locations.</p>")
    labels: list[str] = []
    shares: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[str, int]] = {}
    rated: dict[str, int] = {}
    for source, as_at, level, area, rating, locations, pct, rated_locations in rows:
        label = f"{area} ({'API' if source == 'api' else source}, {as_at:%d %b %Y})"
        if label not in shares:
            labels.append(label)
        shares.setdefault(label, {})[rating] = pct or 0.0
        counts.setdefault(label, {})[rating] = locations
        rated[label] = rated_locations
    chart = stacked_bar_chart([(a, shares[a]) for a in labels], RATINGS, RATING_COLOURS, title=title, label_width=300)
    table = _table(
        ["Area (source, as at)", "Rated locations", *RATINGS],
        [[a, _count(rated[a]), *[f"{_count(counts[a].get(r, 0))} ({_pct(shares[a].get(r, 0))})" for r in RATINGS]] for a in labels],
        table_id="ratings-table",
    )
    body = (
        "<p>Current overall ratings of registered locations as a share of rated locations (CQC), for each "
        "ratings source as at its newest snapshot. A location whose source gives no NHS England region is "
        "under \u201cRegion not known\u201d.</p>"
        f"<figure>{chart}</figure>{table}"
    )
    return Section("ratings", title, body)


def carers_by_region(marts: Marts) -> Section:
    title = "Adult carers: council measures by region"
    if not marts.has("mart_carers_region_year"):
        return Section("carers", title, _not_loaded("Adult carers' measures", "mart_carers_region_year"), loaded=False)
    rows = marts.rows(
        """
        with latest as (
            -- The carers' own ASCOF measures: quality of life (1D), finding information easy (3D2).
            select measure_code, max(financial_year) as financial_year
            from mart_carers_region_year
            where councils_with_value > 0 and measure_code in ('1D', '3D2')
            group by measure_code
        )
        select m.measure_code, m.measure_name, m.unit, m.financial_year, m.region_name, m.is_england,
               m.median_value, m.councils_with_value, m.councils
        from mart_carers_region_year as m join latest using (measure_code, financial_year)
        order by m.measure_code, m.is_england, m.region_name
        """
    )
    if not rows:
        return Section("carers", title, "<p class=not-loaded>The published carers' marts have no values.</p>", loaded=False)
    measures: dict[str, list[tuple]] = {}
    for row in rows:
        measures.setdefault(row[0], []).append(row)
    parts = [
        "<p>The Survey of Adult Carers in England, through ASCOF: median across the councils of each ONS "
        "region, for each measure's latest survey year (councils with a value / councils).</p>"
    ]
    for code, items in measures.items():
        name, unit, year = items[0][1], items[0][2], items[0][3]
        parts.append(f"<h3>{_e(name)} ({_e(code)}), {_e(year)}</h3>")
        parts.append(
            _table(
                ["Region", f"Median ({unit})" if unit else "Median", "Councils"],
                [[r[4], "" if r[6] is None else f"{r[6]:,.1f}", f"{r[7]} / {r[8]}"] for r in items],
            )
        )
    return Section("carers", title, "".join(parts))


def sickness_absence_by_region(marts: Marts) -> Section:
    title = "NHS staff sickness absence by region"
    if not marts.has("mart_workforce_region_month"):
        return Section("sickness", title, _not_loaded("NHS workforce figures", "mart_workforce_region_month"), loaded=False)
    rows = marts.rows(
        """
        with absence as (
            select * from mart_workforce_region_month
            where measure = 'sickness_absence' and breakdown_value = 'All organisation types'
              and sickness_absence_rate is not null
        ),
        latest as (select max(month_start) as month_start from absence)
        select region_name, region_code = 'ENG' as is_england, sickness_absence_rate, organisations, month_start
        from absence join latest using (month_start)
        order by is_england, region_name
        """
    )
    if not rows:
        return Section("sickness", title, "<p class=not-loaded>The published workforce marts have no sickness absence.</p>", loaded=False)
    month = rows[0][4]
    chart = bar_chart(
        [(r[0], r[2]) for r in rows if not r[1]], title=f"{title}, {month:%B %Y}", fmt=lambda v: f"{v:.2f}%", colour="#7c2855"
    )
    table = _table(
        ["Region", "Sickness absence rate", "Organisations"],
        [[r[0], f"{r[2]:.2f}%", _count(r[3])] for r in rows],
        table_id="sickness-table",
    )
    body = (
        f"<p>Share of full-time-equivalent days available lost to sickness, {month:%B %Y} (NHS England, "
        f"NHS Sickness Absence Rates).</p><figure>{chart}</figure>{table}"
    )
    return Section("sickness", title, body)


SECTIONS = [figure_20, twelve_hour_trend, ratings_distribution, carers_by_region, sickness_absence_by_region]


# ---------------------------------------------------------------------------------------------
# the page


STYLE = """
body{font-family:system-ui,sans-serif;color:#212b32;max-width:64rem;margin:0 auto;padding:1rem 1.5rem 3rem;line-height:1.45}
header{border-bottom:4px solid #005eb8;margin-bottom:1rem}h1{margin:.3rem 0}h2{margin-top:2.2rem;color:#005eb8}
nav a{margin-right:1rem;color:#005eb8}table{border-collapse:collapse;margin:.8rem 0}
th,td{padding:.3rem .7rem;border-bottom:1px solid #d8dde0;text-align:left}th{background:#f0f4f5}
.num{text-align:right;font-variant-numeric:tabular-nums}.value{font-variant-numeric:tabular-nums}
.not-loaded{background:#fff9c4;border-left:4px solid #ffb81c;padding:.6rem .9rem}figure{margin:.8rem 0}
footer{margin-top:3rem;color:#4c6272;font-size:.9rem}
"""


def render(sections: list[Section], publication: dict) -> str:
    nav = "".join(f'<a href="#{s.anchor}">{_e(s.title.split(":")[0].split(",")[0])}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}" class="{"loaded" if s.loaded else "not-loaded-section"}"><h2>{_e(s.title)}</h2>{s.body}</section>'
        for s in sections
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>nhs-warehouse report</title><style>{STYLE}</style></head>
<body><header><h1>How England's health and care system is doing</h1>
<p>From the published marts, version <span id="publication-version">{_e(publication["version"])}</span>,
published {_e(publication["published_at"])}.</p><nav>{nav}</nav></header>
{body}
<footer>Written by <code>nhs-warehouse report</code> from <code>serving/marts.duckdb</code>. Sources: NHS England
(A&amp;E Attendances and Emergency Admissions; NHS Sickness Absence Rates), CQC (ratings), NHS England and
Oflog (adult social care carers' measures). Numbers are as published; the marts' documentation
(<code>nhs-warehouse docs</code>) defines each one.</footer>
</body></html>
"""


def build_report(settings: Settings) -> Report:
    if not settings.serving_db.exists():
        raise ReportError(f"No published marts at {settings.serving_db}: run `nhs-warehouse build` first.")
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        version, published_at, tables = con.execute("select version, published_at, tables from _publication").fetchone()
        marts = Marts(con)
        sections = [make(marts) for make in SECTIONS]
    finally:
        con.close()
    publication = {"version": version, "published_at": f"{published_at:%d %B %Y %H:%M} UTC", "tables": json.loads(tables)}
    settings.report_dir.mkdir(parents=True, exist_ok=True)
    target = settings.report_dir / "index.html"
    tmp = target.with_name(f".index.html.{os.getpid()}.tmp")
    tmp.write_text(render(sections, publication), encoding="utf-8")
    os.replace(tmp, target)  # someone may have the report open: swap, never half-write
    return Report(target, version, sections)
