"""Urgent and emergency care: NHS England's Ambulance Quality Indicators, system indicators (AmbSYS).

One CSV holds the whole monthly series since August 2017 and is re-published every month with
earlier months revised, so one file fills every month partition: a new vintage replaces each month
it covers, and the values it changed show in `mart_revisions`. Each month has a row for England
(`Region` and `Org Code` both `Eng`), one per NHS England region (`Region` is the region's name,
`Org Code` its `Y56`-`Y63` code) and one per ambulance trust (`Region` is its region's code).

The measure columns are codes (`A0` ... `A148`, no `A123`), defined in NHS England's AmbSYS
specification, not in the file; `.` means not collected. Every code is loaded as published (the
raw table keeps the publisher's table, and a revision of any code shows in `mart_revisions`); the
codes the marts name are the ones in the `ambsys_measures` seed, and those must be in the header.
England and region rows stay in the one raw table rather than a totals table: they carry 90th
centiles that cannot be recomputed from the trusts, and their revisions must show too.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

from dagster_project.ingest.columns import Column
from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.spec import Cadence, SourceSpec
from dagster_project.ingest.tabular import ParsedFile, parse_tabular
from dagster_project.settings import REFERENCE_DIR

# The highest code NHS England's April 2026 file carries; a code beyond it is read with a warning
# (ignored column) until it is added here.
LAST_CODE = 148


def named_codes(seed: Path = REFERENCE_DIR / "ambsys_measures.csv") -> frozenset[str]:
    """The codes the marts use, as the `ambsys_measures` seed (the one home of the code map) lists them."""
    with open(seed, newline="", encoding="utf-8") as handle:
        return frozenset(row["code"].strip().upper() for row in csv.DictReader(handle))


def _code_columns(required: frozenset[str]) -> tuple[Column, ...]:
    # Whole numbers only: counts, and times in whole seconds (all 295,000 published cells are).
    return tuple(Column(f"a{n}", "integer", (f"A{n}",), required=f"A{n}" in required) for n in range(LAST_CODE + 1))


COLUMNS = (
    Column("year", "integer", ("Year",), description="Calendar year of the month"),
    Column("month", "integer", ("Month",), description="Month number, 1-12"),
    Column(
        "region",
        "text",
        ("Region",),
        description="Eng (England row), the region's name (region rows) or the region's Y code (trust rows)",
    ),
    Column("org_code", "text", ("Org Code",), description="Eng, a region's Y code, or the trust's ODS code"),
    Column("org_name", "text", ("Org Name",)),
    *_code_columns(named_codes()),
)


def parse(path: Path, spec: SourceSpec) -> ParsedFile:
    """The tabular reader, with each row's month read from its two columns (Year, Month).

    The reader takes a partition from one column; Year alone stands in for it, then `_period` is set
    from Year and Month together (a month outside 1-12 names its row and column).
    """
    parsed = parse_tabular(Path(path), dataclasses.replace(spec, parser=None, period_column="year", period_from_value=_year))
    frame = parsed.tables[""]
    periods = []
    for row_number, year, month in zip(frame["_row_number"], frame["year"], frame["month"], strict=True):
        try:
            periods.append(dt.date(int(year), int(month), 1).isoformat())
        except (TypeError, ValueError) as exc:
            raise IngestError(
                f"Year {year!r} and Month {month!r} do not name a month ({exc})",
                file=path,
                row=int(row_number),
                column="month",
                reason="bad_period",
            ) from None
    frame["_period"] = periods
    frame["_period"] = frame["_period"].astype("string")
    return parsed


def _year(value: str) -> str:
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise ValueError("expected a year like 2024")
    return value


UEC_AMBSYS_MONTHLY = SourceSpec(
    key="uec_ambsys_monthly",
    family="uec",
    title="Ambulance Quality Indicators: system indicators (AmbSYS, monthly time series)",
    publisher="NHS England",
    provenance=(
        "NHS England, Ambulance Quality Indicators, AmbSYS time series CSV (AmbSYS-to-Apr-2026); copy kept in "
        "artemchumakk/sixminutes @ fe03f5a544bdc9638330850022859642f726ea2d, data/ambsys.csv (OGL v3.0)"
    ),
    format="csv",
    partitioning="monthly",
    first_period="2017-08-01",
    columns=COLUMNS,
    period_column="year",
    parser=parse,
    # `.` is how NHS England writes "not collected"; blank means the same if it appears.
    missing_markers=frozenset({".", ""}),
    sample_glob="uec/ambsys/*.csv",
    index_url="https://www.england.nhs.uk/statistics/statistical-work-areas/ambulance-quality-indicators/",
    # The time series is linked as AmbSYS-to-Apr-2026.csv (later ones add a suffix: AmbSYS-to-Jun-2026-b4Uah.csv).
    link_pattern=r"(?i)ambsys-to-[a-z]+-?\d{2,4}[^/]*\.csv$",
    # Published on the second Thursday of the following month: late a week after that.
    cadence=Cadence("monthly", due_after_days=21),
    row_key=("org_code",),
)
