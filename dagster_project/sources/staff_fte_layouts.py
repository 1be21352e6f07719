"""Read NHS Digital's HCHS staff FTE by staff group and organisation, in either published layout.

- The supplementary "staff by staff group, nationality and organisation" workbook: a tidy `Data`
  sheet (`Month` like 2017-SEP, organisation code and name, staff group, nationality, FTE). Every
  row is a leaf: there are no subtotal rows.
- The *NHS Workforce Statistics* CSV ("Core 1": `DATA_MONTH, DATA_LEVEL, NHSE_REGION_CODE, ...,
  ORG_CODE, MAIN_STAFF_GROUP, STAFF_GROUP_1, FTE, HEADCOUNT`). It nests subtotals in the rows:
  `All staff groups` (all staff, and each main staff group's total) and `HCHS doctors - All grades`
  (all doctor grades). Those go to the totals table, so a sum over data rows counts each person's
  FTE once, and the gate checks the leaves add up to the publisher's subtotals.

Both become one raw table; columns a layout does not have are NULL, `layout` says which it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Set as AbstractSet
from pathlib import Path

import pandas as pd

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.periods import month_start
from dagster_project.ingest.columns import Column
from dagster_project.ingest.spec import SourceSpec
from dagster_project.ingest.tabular import HEADER_SCAN_ROWS, PANDAS_DTYPES, ParsedFile, find_header, parse_tabular, read_rows

ALL_STAFF_GROUPS = "all staff groups"

COLUMNS = (
    Column("layout", "text", description="nationality_data_sheet or workforce_statistics_core1"),
    Column("data_month", "text", ("Month", "DATA_MONTH"), description="The publisher's month: 2017-SEP or 2009-09-30"),
    Column("data_level", "text", ("DATA_LEVEL",), required=False),
    Column("region_code", "text", ("NHSE_REGION_CODE",), required=False),
    Column("region_name", "text", ("NHSE_REGION_NAME",), required=False),
    Column("ics_code", "text", ("ICS_CODE",), required=False),
    Column("ics_name", "text", ("ICS_NAME",), required=False),
    Column("org_code", "text", ("Organisation code", "ORG_CODE"), description="ODS code of the employing organisation"),
    Column("org_name", "text", ("Organisation name", "ORG_NAME")),
    Column("cluster_group", "text", ("CLUSTER_GROUP",), required=False),
    Column("benchmark_group", "text", ("BENCHMARK_GROUP",), required=False),
    Column("main_staff_group", "text", ("MAIN_STAFF_GROUP",), required=False),
    Column(
        "staff_group", "text", ("Staff group", "STAFF_GROUP_1"), description="Staff group (Core 1: staff group or doctor grade)"
    ),
    Column("nationality", "text", ("Nationality",), required=False),
    Column("fte", "number", ("FTE",), description="Full-time equivalent"),
    Column("headcount", "integer", ("HEADCOUNT",), required=False, description="People; not additive across groups"),
)


def is_staff_group_subtotal(row: dict[str, str]) -> bool:
    """`All staff groups` in either staff-group column, or a `... - All grades` doctors subtotal."""
    main = row.get("main_staff_group", "").strip().casefold()
    group = row.get("staff_group", "").strip().casefold()
    return ALL_STAFF_GROUPS in (main, group) or group.endswith("- all grades")


def _layout(name: str, names: AbstractSet[str], also_required: AbstractSet[str] = frozenset(), **fields) -> SourceSpec:
    """The spec of one published layout: the columns it has (`also_required` must be in its header)."""
    columns = tuple(dataclasses.replace(c, required=c.required or c.name in also_required) for c in COLUMNS if c.name in names)
    return SourceSpec(
        key="nhs_staff_fte",
        family="workforce",
        title=f"HCHS staff FTE ({name})",
        publisher="NHS Digital",
        provenance="",
        partitioning="monthly",
        columns=columns,
        period_column="data_month",
        period_from_value=month_start,
        missing_markers=frozenset(),
        **fields,
    )


NATIONALITY_DATA_SHEET = _layout(
    "nationality_data_sheet",
    {"data_month", "org_code", "org_name", "staff_group", "nationality", "fte"},
    {"nationality"},
    format="xlsx",
    sheet="Data",
)
# Core 1 requires its staff-group pair, so a Core 3 file (specialty x grade) is not mistaken for it.
WORKFORCE_STATISTICS_CORE1 = _layout(
    "workforce_statistics_core1",
    {c.name for c in COLUMNS} - {"layout", "nationality"},
    {"main_staff_group", "headcount"},
    format="csv",
    is_total_row=is_staff_group_subtotal,
)
LAYOUTS = {"nationality_data_sheet": NATIONALITY_DATA_SHEET, "workforce_statistics_core1": WORKFORCE_STATISTICS_CORE1}


def _has_header(path: Path, layout: SourceSpec) -> bool:
    """The layout's full header (every required column) is among the file's first rows."""
    try:
        rows = []
        for row in read_rows(path, layout, []):
            rows.append(row)
            if len(rows) >= HEADER_SCAN_ROWS:
                break
        find_header(rows, layout, path)
        return True
    except IngestError:
        return False


def _which(path: Path) -> tuple[str, SourceSpec] | None:
    path = Path(path)
    suffix = path.suffix.lower()
    for name, layout in LAYOUTS.items():
        if layout.format == "csv" and suffix not in (".csv", ".txt"):
            continue
        if layout.format == "xlsx":
            if suffix != ".xlsx":
                continue
            # A workbook without a `Data` sheet is not this layout (reading it would fail on the sheet).
            from python_calamine import CalamineWorkbook

            try:
                if "data" not in {s.casefold() for s in CalamineWorkbook.from_path(str(path)).sheet_names}:
                    continue
            except Exception:  # calamine raises its own types for corrupt workbooks
                continue
        if _has_header(path, layout):
            return name, layout
    return None


def looks_like_staff_fte(path: Path) -> bool:
    return _which(Path(path)) is not None


def parse(path: Path, spec: SourceSpec) -> ParsedFile:
    path = Path(path)
    found = _which(path)
    if found is None:
        raise IngestError(
            "not an HCHS staff FTE file: neither a workbook with a `Data` sheet (Month, Organisation code, Staff group, "
            "Nationality, FTE) nor a Workforce Statistics CSV (DATA_MONTH, ORG_CODE, MAIN_STAFF_GROUP, STAFF_GROUP_1, FTE, HEADCOUNT)",
            file=path,
            reason="unrecognised",
        )
    name, layout = found
    parsed = parse_tabular(path, layout)
    tables = {}
    for suffix in spec.table_columns():
        frame = parsed.tables.get(suffix)
        if frame is None:
            frame = pd.DataFrame(columns=["_row_number", "_period"])
        frame = frame.reindex(columns=["_row_number", "_period", *[c.name for c in COLUMNS]])
        frame["layout"] = name
        tables[suffix] = frame.astype(
            {"_row_number": "Int64", "_period": "string"} | {c.name: PANDAS_DTYPES[c.kind] for c in COLUMNS}
        )
    return ParsedFile(spec.key, path, tables, parsed.warnings)
