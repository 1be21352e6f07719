"""Read NHS England's Survey of Adult Carers in England (SACE) data tables by council.

The layout, as the publisher documents it for the council-level tables (a workbook with one table
per sheet; the same tables are offered as CSV):
- title rows naming the survey and its year ("... Survey of Adult Carers in England, 2021-22"),
  then notes;
- a header row: the council's ONS code, its name, optionally its region, then one column per
  measure, headed by its ASCOF code ("1D", "ASCOF 1I2", "3B: Overall satisfaction ...") or by the
  survey answer it reports ("I have as much control over my daily life as I want", ...);
- England and regional rows (ONS codes E92..., E12...) above the council rows;
- symbols instead of numbers: `[c]` confidential (suppressed, too few respondents) and `[x]` not
  available (the council did not take part); tables for earlier years write `c` and `:` for the
  same, or leave the cell blank.

The wide table becomes long rows (one per council and measure) so a new measure column is a new
row, not a new raw column. A symbol is kept beside the NULL value so "suppressed" and "did not take
part" stay distinguishable downstream; anything else that is not a number is an error.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.periods import find_financial_year
from dagster_project.ingest.columns import Column, normalise_header
from dagster_project.ingest.spec import SourceSpec
from dagster_project.ingest.tabular import HEADER_SCAN_ROWS, PANDAS_DTYPES, ParsedFile, read_all_sheets, to_number, to_text
from dagster_project.settings import REFERENCE_DIR

# Publisher symbol (case-folded) -> what it means.
MARKERS = {
    "[c]": "suppressed",
    "c": "suppressed",
    "[x]": "not_available",
    "x": "not_available",
    ":": "not_available",
    "": "not_available",
}


@dataclass(frozen=True)
class Measure:
    code: str
    name: str
    spellings: tuple[str, ...]
    low: float = 0.0
    high: float = 100.0

    def matches(self, header: str) -> bool:
        text = normalise_header(header)
        for spelling in self.spellings:
            s = normalise_header(spelling)
            if text == s or re.match(re.escape(s) + r"(\s|:|\(|-|–|$)", text):
                return True
        return False


def load_measures(seed: Path = REFERENCE_DIR / "sace_measures.csv") -> tuple[Measure, ...]:
    """The measures the survey publishes, as the cited `sace_measures` seed (the one home of codes,
    names, ranges and header wordings) lists them: the ASCOF measures the survey feeds, then the
    survey answers. Codes of the answers are this warehouse's stable names: the questionnaire
    renumbers questions between waves."""
    with open(seed, newline="", encoding="utf-8") as handle:
        return tuple(
            Measure(
                row["measure_code"],
                row["measure_name"],
                tuple(s.strip() for s in row["header_spellings"].split("|") if s.strip()),
                float(row["min_value"]),
                float(row["max_value"]),
            )
            for row in csv.DictReader(handle)
        )


MEASURES = load_measures()

ONS_CODE = re.compile(r"[EWSN]\d{8}")
CODE_SPELLINGS = ("ONS code", "ONS area code", "Council code", "CASSR code", "LA code", "Local authority code")
NAME_SPELLINGS = ("Council", "Council name", "CASSR", "CASSR name", "Local authority", "Local authority name", "Area name")
REGION_SPELLINGS = ("Region", "Region name", "ONS region")

COLUMNS = (
    Column("financial_year", "text", description="Survey year (April-March), e.g. 2021-22, from the table's title"),
    Column("table_name", "text", description="The sheet (table) the row came from"),
    Column("la_code", "text", description="ONS code of the council, or of England (E92) and regions (E12) in the totals table"),
    Column("la_name", "text"),
    Column("region_name", "text", required=False, description="ONS region as the table prints it, where it does"),
    Column("measure_code", "text", description="ASCOF code (1D, 1I2, 3B, 3C, 3D2) or the warehouse's name for a survey answer"),
    Column("measure_name", "text", description="What the measure is, in words (one name per code)"),
    Column("measure_label", "text", description="The column header as published"),
    Column(
        "value",
        "number",
        required=False,
        description="Score (1D, out of 12) or percentage of carers; NULL where the publisher shows a symbol",
    ),
    Column("value_status", "text", description="reported, suppressed ([c], c) or not_available ([x], :, blank)"),
    Column("value_marker", "text", required=False, description="The publisher's symbol as written, where there is one"),
)


def is_area_total(row: Mapping[str, str | None]) -> bool:
    """England (E92...) and regional (E12...) rows are the publisher's aggregates, not councils."""
    code = (row.get("la_code") or "").strip().upper()
    return code.startswith(("E92", "E12")) or (row.get("la_name") or "").strip().casefold() == "england"


# ---------------------------------------------------------------------------------------------


@dataclass
class _Header:
    row_index: int
    code: int
    name: int
    region: int | None
    measures: dict[int, Measure]


def _find_header(rows: list[tuple[int, list[Any]]]) -> _Header | None:
    code_set = {normalise_header(s) for s in CODE_SPELLINGS}
    name_set = {normalise_header(s) for s in NAME_SPELLINGS}
    region_set = {normalise_header(s) for s in REGION_SPELLINGS}
    for index, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        texts = [normalise_header(to_text(c)) if c is not None else "" for c in cells]
        code = next((i for i, t in enumerate(texts) if t in code_set), None)
        name = next((i for i, t in enumerate(texts) if t in name_set), None)
        if code is None or name is None:
            continue
        region = next((i for i, t in enumerate(texts) if t in region_set), None)
        measures = {}
        for i, cell in enumerate(cells):
            if cell is None or i in (code, name, region):
                continue
            found = [m for m in MEASURES if m.matches(to_text(cell))]
            if found:
                measures[i] = found[0]
        if measures:
            return _Header(index, code, name, region, measures)
    return None


def _title_year(rows: list[tuple[int, list[Any]]], header_index: int, sheet: str) -> str | None:
    for _, cells in rows[:header_index]:
        for cell in cells:
            if isinstance(cell, str) and (year := find_financial_year(cell)):
                return year
    return find_financial_year(sheet)


def _value(cell: Any, *, path: Path, row: int, column: str) -> tuple[float | None, str, str | None]:
    """(value, status, marker) for one cell."""
    if cell is None:
        return None, MARKERS[""], None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return float(cell), "reported", None
    text = str(cell).strip()
    if text.casefold() in MARKERS:
        return None, MARKERS[text.casefold()], text or None
    try:
        return to_number(text), "reported", None
    except ValueError:
        raise IngestError(
            f"value {text!r} is neither a number nor one of the publisher's symbols ([c], [x], c, :)",
            file=path,
            row=row,
            column=column,
            reason="bad_value",
        ) from None


def parse(path: Path, spec: SourceSpec) -> ParsedFile:
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError("file is empty (0 bytes)", file=path, reason="empty")
    records: dict[str, list[dict]] = {"": [], "totals": []}
    warnings: list[str] = []
    for sheet, rows in read_all_sheets(path):
        header = _find_header(rows)
        if header is None:
            continue  # contents, notes and other tables without council rows
        year = _title_year(rows, header.row_index, sheet)
        if year is None:
            raise IngestError(
                f"table {sheet!r} has council rows but no survey year (e.g. 2021-22) in its title",
                file=path,
                row=rows[header.row_index][0],
                reason="bad_period",
            )
        header_cells = rows[header.row_index][1]
        known = {header.code, header.name, header.region, *header.measures}
        for i, cell in enumerate(header_cells):
            if i not in known and cell is not None and to_text(cell).strip():
                warnings.append(
                    f"{path.name}: table {sheet!r} column {to_text(cell).strip()!r} is not a measure this parser knows; ignored"
                )
        for row_number, cells in rows[header.row_index + 1 :]:
            code = to_text(cells[header.code]).strip() if header.code < len(cells) and cells[header.code] is not None else ""
            name = to_text(cells[header.name]).strip() if header.name < len(cells) and cells[header.name] is not None else ""
            no_values = all(cells[i] is None for i in header.measures if i < len(cells))
            if no_values and not ONS_CODE.fullmatch(code.upper()):
                continue  # blank rows, and notes or source lines below the table
            if not code:
                raise IngestError(
                    "row has values but no council code", file=path, row=row_number, column="la_code", reason="bad_value"
                )
            region = None
            if header.region is not None and header.region < len(cells) and cells[header.region] is not None:
                region = to_text(cells[header.region]).strip()
            base = {"financial_year": year, "table_name": sheet, "la_code": code.upper(), "la_name": name, "region_name": region}
            target = "totals" if is_area_total(base) else ""
            for i, measure in header.measures.items():
                cell = cells[i] if i < len(cells) else None
                value, status, marker = _value(cell, path=path, row=row_number, column=measure.code)
                records[target].append(
                    base
                    | {
                        "_row_number": row_number,
                        "_period": year,
                        "measure_code": measure.code,
                        "measure_name": measure.name,
                        "measure_label": to_text(header_cells[i]).strip(),
                        "value": value,
                        "value_status": status,
                        "value_marker": marker,
                    }
                )
    if not records[""]:
        raise IngestError(
            "not a Survey of Adult Carers table by council: no sheet has a council code, name and measure columns",
            file=path,
            reason="unrecognised",
        )
    return ParsedFile(spec.key, path, {suffix: _frame(rows) for suffix, rows in records.items()}, warnings)


def _frame(records: list[dict]) -> pd.DataFrame:
    names = ["_row_number", "_period", *[c.name for c in COLUMNS]]
    frame = pd.DataFrame.from_records(records, columns=names)
    return frame.astype({"_row_number": "Int64", "_period": "string"} | {c.name: PANDAS_DTYPES[c.kind] for c in COLUMNS})


def looks_like_sace(path: Path) -> bool:
    if Path(path).suffix.lower() not in (".xlsx", ".ods", ".xls", ".csv"):
        return False
    try:
        return any(_find_header(rows) is not None for _, rows in read_all_sheets(Path(path)))
    except (IngestError, OSError, UnicodeDecodeError):
        return False
