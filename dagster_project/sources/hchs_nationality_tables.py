"""Read NHS Digital's older "HCHS staff with an EU or UK nationality" workbooks (2016, 2017).

These are presentation tables, not data sheets, and the reader finds everything by content:
- title rows; the date is in the title ("... as at 30 September 2016, headcount");
- a two-row header: nationality groups (`EU` / `UK`, or `European Union1` / `United Kingdom2` with
  footnote digits) written once above merged cells, and staff groups (`All staff`, `HCHS doctors`,
  `Nurses & health visitors`, `Other staff`) below them;
- an England row, then for each Health Education England region a region row followed by its
  organisations (name and ODS code; the 2017 file also gives the region's code);
- `-` for zero (the notes say so) and footnotes below the table.

Organisation rows go to the main table; England and region rows to the totals table. Headcounts
are people, not FTE, and are not additive: "Headcount totals are unlikely to equal the sum of
components due to some staff working in more than one role" (the publisher's note). So `All staff`
is its own staff group here, never the sum of the others, and the warehouse does not add
these to FTE.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.periods import find_month
from dagster_project.ingest.columns import Column, normalise_header
from dagster_project.ingest.spec import SourceSpec
from dagster_project.ingest.tabular import HEADER_SCAN_ROWS, PANDAS_DTYPES, ParsedFile, read_all_sheets, to_text

STAFF_GROUPS = {
    "all staff": "All staff",
    "hchs doctors": "HCHS doctors",
    "nurses & health visitors": "Nurses & health visitors",
    "other staff": "Other staff",
}

COLUMNS = (
    Column("data_month", "text", description="Month of the snapshot, from the title (as at 30 September 2016 -> 2016-09-01)"),
    Column("area_level", "text", description="organisation; in the totals table england or region"),
    Column("hee_region_code", "text", required=False, description="Health Education England region code (2017 file only)"),
    Column("hee_region_name", "text", required=False),
    Column("org_code", "text", required=False, description="ODS code of the organisation (NULL on totals rows)"),
    Column("org_name", "text", required=False),
    Column("nationality_group", "text", description="EU or UK"),
    Column("staff_group", "text", description="All staff, HCHS doctors, Nurses & health visitors or Other staff"),
    Column("headcount", "integer", description="People (not FTE); '-' in the file is zero"),
)
ORG_CODE = re.compile(r"[A-Z0-9]{3,6}")


def _nationality(label: str, path: Path, row: int) -> str:
    text = re.sub(r"\d+$", "", normalise_header(label)).strip()
    if text in ("eu", "european union") or text.startswith("european union"):
        return "EU"
    if text in ("uk", "united kingdom") or text.startswith("united kingdom"):
        return "UK"
    raise IngestError(f"unknown nationality group {label!r} above the staff groups", file=path, row=row, reason="bad_header")


def _header(rows: list[list[Any]], path: Path) -> tuple[int, dict[int, tuple[str, str]]]:
    """(index of the staff-group row, {column: (nationality group, staff group)})."""
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        groups = {
            i: STAFF_GROUPS[normalise_header(to_text(c))]
            for i, c in enumerate(cells)
            if c is not None and normalise_header(to_text(c)) in STAFF_GROUPS
        }
        if list(groups.values()).count("All staff") < 2:
            continue
        above = next((r for r in reversed(rows[:index]) if any(c is not None for c in r)), None)
        if above is None:
            raise IngestError("staff groups have no nationality row above them", file=path, row=index + 1, reason="bad_header")
        columns = {}
        for i, group in groups.items():
            label = next((above[j] for j in range(min(i, len(above) - 1), -1, -1) if above[j] is not None), None)
            if label is None:
                raise IngestError(f"no nationality group above column {i + 1}", file=path, row=index, reason="bad_header")
            columns[i] = (_nationality(to_text(label), path, index), group)
        return index, columns
    raise IngestError(
        "no header row with the staff groups (All staff, HCHS doctors, ...) twice", file=path, reason="unrecognised"
    )


def _count(cell: Any, path: Path, row: int, column: str) -> int:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if float(cell).is_integer() and cell >= 0:
            return int(cell)
        raise IngestError(
            f"headcount {cell!r} is not a whole number of people", file=path, row=row, column=column, reason="bad_value"
        )
    text = to_text(cell).strip()
    if text == "-":
        return 0  # "'-' denotes zero" (the publisher's notes)
    if re.fullmatch(r"\d[\d,]*", text):
        return int(text.replace(",", ""))
    raise IngestError(
        f"headcount {text!r} is not a whole number (or '-' for zero)", file=path, row=row, column=column, reason="bad_value"
    )


def _rows(path: Path) -> list[list[Any]]:
    """The first sheet's cells (the table is the workbook's only sheet)."""
    return [cells for _, cells in read_all_sheets(path)[0][1]]


def parse(path: Path, spec: SourceSpec) -> ParsedFile:
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError("file is empty (0 bytes)", file=path, reason="empty")
    rows = _rows(path)
    header_index, value_columns = _header(rows, path)
    title = " ".join(to_text(c) for r in rows[:header_index] for c in r if isinstance(c, str))
    month = find_month(title)
    if month is None:
        raise IngestError("no 'as at <date>' in the title rows", file=path, reason="bad_period")
    if "headcount" not in title.casefold():
        raise IngestError("the title does not say the figures are headcounts", file=path, reason="unrecognised")
    first_value = min(value_columns)
    code_col, name_col = first_value - 1, first_value - 2
    region_cols = list(range(0, max(name_col, 0)))
    records: dict[str, list[dict]] = {"": [], "totals": []}
    region_code = region_name = None
    for number, cells in enumerate(rows[header_index + 1 :], start=header_index + 2):
        cells = cells + [None] * (max(value_columns) + 1 - len(cells))
        if all(cells[i] is None for i in value_columns):
            continue  # blank separators and the notes below the table
        code = to_text(cells[code_col]).strip() if cells[code_col] is not None else ""
        left = [to_text(cells[i]).strip() for i in range(first_value) if cells[i] is not None]
        if code:
            if not ORG_CODE.fullmatch(code):
                raise IngestError(
                    f"{code!r} is not an ODS organisation code", file=path, row=number, column="org_code", reason="bad_value"
                )
            base = {
                "area_level": "organisation",
                "org_code": code,
                "org_name": to_text(cells[name_col]).strip() or None,
                "hee_region_code": region_code,
                "hee_region_name": region_name,
            }
            target = ""
        elif left and left[0].casefold() == "england":
            base = {
                "area_level": "england",
                "org_code": None,
                "org_name": None,
                "hee_region_code": None,
                "hee_region_name": "England",
            }
            target = "totals"
        elif left:
            region_texts = [to_text(cells[i]).strip() for i in region_cols if cells[i] is not None] or left
            region_code, region_name = (region_texts[0], region_texts[1]) if len(region_texts) > 1 else (None, region_texts[0])
            base = {
                "area_level": "region",
                "org_code": None,
                "org_name": None,
                "hee_region_code": region_code,
                "hee_region_name": region_name,
            }
            target = "totals"
        else:
            raise IngestError(
                "row has headcounts but no organisation, region or England label", file=path, row=number, reason="bad_value"
            )
        for i, (nationality, group) in value_columns.items():
            records[target].append(
                base
                | {
                    "_row_number": number,
                    "_period": month,
                    "data_month": month,
                    "nationality_group": nationality,
                    "staff_group": group,
                    "headcount": _count(cells[i], path, number, f"{nationality} {group}"),
                }
            )
    if not records[""]:
        raise IngestError("no organisation rows below the header", file=path, reason="no_data")
    names = ["_row_number", "_period", *[c.name for c in COLUMNS]]
    dtypes = {"_row_number": "Int64", "_period": "string"} | {c.name: PANDAS_DTYPES[c.kind] for c in COLUMNS}
    tables = {suffix: pd.DataFrame.from_records(recs, columns=names).astype(dtypes) for suffix, recs in records.items()}
    return ParsedFile(spec.key, path, tables)


def looks_like_hchs_nationality(path: Path) -> bool:
    if Path(path).suffix.lower() not in (".xlsx", ".xls", ".ods"):
        return False
    try:
        rows = _rows(Path(path))
        _header(rows[:HEADER_SCAN_ROWS], Path(path))
        return True
    except IngestError:
        return False
