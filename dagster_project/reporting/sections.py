"""The report's sections, each read from the published marts: what a section shows (its template and
the values it is rendered with), its chart, and the key numbers whose explanation the report writes
beside it (`nhs-warehouse explain` for a mart row and column).

A family whose marts are not published yet gets a sentence saying so instead of a section that
breaks; so does a mart that is published but holds nothing to show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import duckdb

from dagster_project.reporting import charts

FIGURE_20_MONTH = dt.date(2023, 6, 1)
RATINGS = ["Outstanding", "Good", "Requires improvement", "Inadequate"]
RATING_COLOURS = {"Outstanding": "#00703c", "Good": "#4c9f38", "Requires improvement": "#f29200", "Inadequate": "#d5281b"}
C1_MEAN_STANDARD_MINUTES, C2_MEAN_STANDARD_MINUTES = 7, 18


@dataclass(frozen=True)
class KeyNumber:
    """One published number the report explains: the mart row(s) `where` matches, and `column`."""

    label: str
    mart: str
    where: str
    column: str

    def command(self) -> str:
        return f'nhs-warehouse explain {self.mart} --where "{self.where}" --column {self.column}'


@dataclass
class Section:
    anchor: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    loaded: bool = True
    key_numbers: list[KeyNumber] = field(default_factory=list)


def not_published(anchor: str, title: str, what: str, mart: str) -> Section:
    return Section(anchor, title, "not_published.html.j2", {"what": what, "mart": mart}, loaded=False)


def nothing_to_show(anchor: str, title: str, message: str) -> Section:
    return Section(anchor, title, "nothing_to_show.html.j2", {"message": message}, loaded=False)


def sql_text(value: object) -> str:
    """A value as a SQL literal for a key number's predicate (dates and text quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


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


# --- A&E ------------------------------------------------------------------------------------------


def figure_20(marts: Marts) -> Section:
    anchor, title = "figure-20", "Patients waiting over 12 hours from decision to admit, June 2023"
    if not marts.has("mart_uec_region_month"):
        return not_published(anchor, title, "A&E figures", "mart_uec_region_month")
    rows = marts.rows(
        "select region_name, dta_waits_over_12h, emergency_admissions_via_ae, pct_dta_over_12h, is_england "
        "from mart_uec_region_month where month_start = ? order by is_england, region_name",
        [FIGURE_20_MONTH],
    )
    if not rows:
        return nothing_to_show(anchor, title, "June 2023 is not among the loaded A&E months.")
    chart = charts.bar_chart([(r[0], r[1]) for r in rows if not r[4]], name="figure-20", title=f"{title}, by NHS England region")
    month = sql_text(FIGURE_20_MONTH.isoformat())
    key_numbers = [
        KeyNumber(
            f"{region}, June 2023: patients waiting over 12 hours from decision to admit",
            "mart_uec_region_month",
            f"region_name = {sql_text(region)} and month_start = {month}",
            "dta_waits_over_12h",
        )
        for region in ("London", "England")
        if any(r[0] == region for r in rows)
    ]
    return Section(anchor, title, "figure_20.html.j2", {"rows": rows, "chart": chart}, key_numbers=key_numbers)


def twelve_hour_trend(marts: Marts) -> Section:
    anchor, title = "trend-12h", "12-hour waits from decision to admit, by region and month"
    if not marts.has("mart_uec_region_month"):
        return not_published(anchor, title, "A&E figures", "mart_uec_region_month")
    rows = marts.rows(
        "select region_name, month_start, dta_waits_over_12h from mart_uec_region_month "
        "where not is_england order by region_name, month_start"
    )
    if not rows:
        return nothing_to_show(anchor, title, "No A&E months are loaded.")
    series: dict[str, list[tuple[dt.date, float]]] = {}
    for region, month, waits in rows:
        series.setdefault(region, []).append((month, waits or 0))
    months = sorted({m for _, m, _ in rows})
    latest = sorted(((r, v[-1][1]) for r, v in series.items()), key=lambda item: -item[1])
    chart = charts.line_chart(series, name="trend-12h", title=title, y_label="patients waiting over 12 hours")
    top_region = latest[0][0]
    key = KeyNumber(
        f"{top_region}, {months[-1]:%B %Y}: patients waiting over 12 hours (the highest region that month)",
        "mart_uec_region_month",
        f"region_name = {sql_text(top_region)} and month_start = {sql_text(months[-1].isoformat())}",
        "dta_waits_over_12h",
    )
    context = {"first": months[0], "last": months[-1], "months": len(months), "latest": latest, "chart": chart}
    return Section(anchor, title, "trend_12h.html.j2", context, key_numbers=[key])


# --- ambulance response times ----------------------------------------------------------------------


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def ambulance_response_times(marts: Marts) -> Section:
    anchor, title = "ambulance", "Ambulance response times: category 2 and category 1 means, by region and month"
    if not marts.has("mart_ambulance_region_month"):
        return not_published(anchor, title, "Ambulance response times", "mart_ambulance_region_month")
    rows = marts.rows(
        "select region_name, month_start, c1_mean_seconds, c2_mean_seconds, all_trusts_reported, is_england, "
        "trusts_not_reporting, meets_c2_mean_standard from mart_ambulance_region_month order by is_england, region_name, month_start"
    )
    if not rows:
        return nothing_to_show(anchor, title, "The published ambulance mart has no months.")
    c1: dict[str, list] = {}
    c2: dict[str, list] = {}
    for region, month, c1_mean, c2_mean, complete, *_ in rows:
        c1.setdefault(region, []).append((month, _minutes(c1_mean), complete))
        c2.setdefault(region, []).append((month, _minutes(c2_mean), complete))
    months = sorted({r[1] for r in rows})
    last = months[-1]
    latest = [r for r in rows if r[1] == last]
    partial_months = sorted({r[1] for r in rows if r[5] and not r[4]})
    c2_chart = charts.response_time_chart(
        c2,
        name="ambulance-c2",
        title="Category 2 mean response time (minutes); England bold",
        standard_minutes=C2_MEAN_STANDARD_MINUTES,
    )
    c1_chart = charts.response_time_chart(
        c1,
        name="ambulance-c1",
        title="Category 1 mean response time (minutes)",
        standard_minutes=C1_MEAN_STANDARD_MINUTES,
        size=(6.4, 2.6),
    )
    where = f"region_code = 'ENG' and month_start = {sql_text(last.isoformat())}"
    key_numbers = [
        KeyNumber(
            f"England, {last:%B %Y}: category 2 mean response time (seconds)",
            "mart_ambulance_region_month",
            where,
            "c2_mean_seconds",
        ),
        KeyNumber(
            f"England, {last:%B %Y}: category 1 mean response time (seconds)",
            "mart_ambulance_region_month",
            where,
            "c1_mean_seconds",
        ),
    ]
    context = {
        "first": months[0],
        "last": last,
        "months": len(months),
        "latest": latest,
        "partial_months": partial_months,
        "c2_chart": c2_chart,
        "c1_chart": c1_chart,
        "c1_standard": C1_MEAN_STANDARD_MINUTES,
        "c2_standard": C2_MEAN_STANDARD_MINUTES,
    }
    return Section(anchor, title, "ambulance.html.j2", context, key_numbers=key_numbers)


# --- mental health out-of-area placements -------------------------------------------------------------


def _short_region(name: str) -> str:
    return name.removesuffix(" Commissioning Region")


def out_of_area_placements(marts: Marts) -> Section:
    anchor, title = "oaps", "Mental health out-of-area placements active at the end of each month"
    if not marts.has("mart_mh_out_of_area_month"):
        return not_published(anchor, title, "Mental health out-of-area placements", "mart_mh_out_of_area_month")
    rows = marts.rows(
        "select month_start, area_level, area_code, area_name, oaps_active_at_period_end, counts_rounded_to_5 "
        "from mart_mh_out_of_area_month order by month_start, area_level, area_code"
    )
    if not rows:
        return nothing_to_show(anchor, title, "The published out-of-area placements mart has no months.")
    months = sorted({r[0] for r in rows})
    # The publisher's four 2016-17 commissioning regions beside England; placements whose region is
    # not known (999) are in the table, not drawn as if they were a region.
    areas = list(dict.fromkeys(r[3] for r in rows if r[2] != "999"))
    values = {(r[0], r[3]): r[4] for r in rows}
    series = {_short_region(a): [values.get((m, a)) for m in months] for a in areas}
    chart = charts.grouped_bar_chart(
        [f"{m:%b %Y}" for m in months],
        series,
        name="oaps",
        title="Out-of-area placements active at month end: England (exact) and regions (rounded to 5)",
        y_label="placements",
    )
    table = [(f"{r[0]:%B %Y}", r[3], r[4], r[5]) for r in rows]
    key = KeyNumber(
        f"England, {months[-1]:%B %Y}: out-of-area placements active at the end of the month",
        "mart_mh_out_of_area_month",
        f"area_code = 'ENG' and month_start = {sql_text(months[-1].isoformat())}",
        "oaps_active_at_period_end",
    )
    context = {"months": months, "chart": chart, "table": table}
    return Section(anchor, title, "oaps.html.j2", context, key_numbers=[key])


# --- ratings, carers, workforce ---------------------------------------------------------------------


def ratings_distribution(marts: Marts) -> Section:
    anchor, title = "ratings", "CQC ratings: overall rating of locations, by region"
    if not marts.has("mart_ratings_distribution"):
        return not_published(anchor, title, "CQC ratings", "mart_ratings_distribution")
    # Each ratings source (API capture, ratings export) as at its own newest snapshot, as the mart
    # keeps them: they cover different locations, so they are shown side by side, not added.
    overall = (
        "service is null and key_question = 'Overall' and sector = 'All sectors' "
        "and primary_inspection_category = 'All categories'"
    )
    rows = marts.rows(
        f"""
        select source, as_at_date, area_level, area_name, rating, locations, pct_of_rated, rated_locations
        from mart_ratings_distribution
        where {overall} and area_level in ('england', 'region') and is_rated
        order by as_at_date desc, source, area_level = 'region', area_name
        """
    )
    if not rows:
        return Section(
            anchor, title, "nothing_to_show.html.j2", {"message": "The published ratings hold no overall ratings of locations."}
        )
    labels: list[str] = []
    shares: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[str, int]] = {}
    rated: dict[str, int] = {}
    for source, as_at, _level, area, rating, locations, pct, rated_locations in rows:
        label = f"{area} ({'API' if source == 'api' else source}, {as_at:%d %b %Y})"
        if label not in shares:
            labels.append(label)
        shares.setdefault(label, {})[rating] = pct or 0.0
        counts.setdefault(label, {})[rating] = locations
        rated[label] = rated_locations
    chart = charts.stacked_bar_chart([(a, shares[a]) for a in labels], RATINGS, RATING_COLOURS, name="ratings", title=title)
    table = [(a, rated[a], [(counts[a].get(r, 0), shares[a].get(r, 0)) for r in RATINGS]) for a in labels]
    source, as_at = rows[0][0], rows[0][1]
    key = KeyNumber(
        f"England ({'API' if source == 'api' else source}, {as_at:%d %b %Y}): locations rated Good",
        "mart_ratings_distribution",
        f"source = {sql_text(source)} and as_at_date = {sql_text(as_at.isoformat())} and area_level = 'england' "
        f"and rating = 'Good' and {overall}",
        "locations",
    )
    return Section(anchor, title, "ratings.html.j2", {"chart": chart, "table": table, "ratings": RATINGS}, key_numbers=[key])


def carers_by_region(marts: Marts) -> Section:
    anchor, title = "carers", "Adult carers: council measures by region"
    if not marts.has("mart_carers_region_year"):
        return not_published(anchor, title, "Adult carers' measures", "mart_carers_region_year")
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
        return nothing_to_show(anchor, title, "The published carers' marts have no values.")
    measures: dict[str, list[tuple]] = {}
    for row in rows:
        measures.setdefault(row[0], []).append(row)
    key_numbers = [
        KeyNumber(
            f"England, {items[0][3]}: {items[0][1]} ({code}), median across councils",
            "mart_carers_region_year",
            f"is_england and measure_code = {sql_text(code)} and financial_year = {sql_text(items[0][3])}",
            "median_value",
        )
        for code, items in measures.items()
        if any(r[5] for r in items)
    ][:1]
    return Section(anchor, title, "carers.html.j2", {"measures": measures}, key_numbers=key_numbers)


def sickness_absence_by_region(marts: Marts) -> Section:
    anchor, title = "sickness", "NHS staff sickness absence by region"
    if not marts.has("mart_workforce_region_month"):
        return not_published(anchor, title, "NHS workforce figures", "mart_workforce_region_month")
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
        return nothing_to_show(anchor, title, "The published workforce marts have no sickness absence.")
    month = rows[0][4]
    chart = charts.bar_chart(
        [(r[0], r[2]) for r in rows if not r[1]],
        name="sickness",
        title=f"{title}, {month:%B %Y}",
        fmt=lambda v: f"{v:.2f}%",
        colour="#7c2855",
    )
    key_numbers = (
        [
            KeyNumber(
                f"England, {month:%B %Y}: sickness absence rate (%)",
                "mart_workforce_region_month",
                f"region_code = 'ENG' and month_start = {sql_text(month.isoformat())} and measure = 'sickness_absence' "
                "and breakdown_value = 'All organisation types'",
                "sickness_absence_rate",
            )
        ]
        if any(r[1] for r in rows)
        else []
    )
    return Section(anchor, title, "sickness.html.j2", {"rows": rows, "month": month, "chart": chart}, key_numbers=key_numbers)


SECTIONS: list[Callable[[Marts], Section]] = [
    figure_20,
    twelve_hour_trend,
    ambulance_response_times,
    out_of_area_placements,
    ratings_distribution,
    carers_by_region,
    sickness_absence_by_region,
]
