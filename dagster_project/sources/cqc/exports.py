"""CQC's bulk ratings exports, read into one long shape whatever layout they come in.

Two layouts carry latest ratings:
- the monthly *Latest ratings* workbook (ODS, or XLSX when re-saved): sheets `Locations` and
  `Providers`, one row per location (or provider) x service/population group x key question, the key
  question in a column headed `Domain` (older releases: `Key Question`), title rows above a header
  that moves from release to release (found by content). Read with python-calamine, which streams
  the ~26 MB real file without loading a DOM.
- the locations CSV export: one row per location with the overall and five key-question ratings
  side by side, US-order dates (`1/2/2025 12:00:00 AM`), and the registered manager's name (dropped).

Both become rows of (location, service as published, key question, rating, publication date); the
Providers sheet becomes the `providers` table. Values stay as CQC wrote them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.columns import Column
from dagster_project.ingest.spec import SourceSpec
from dagster_project.ingest.tabular import ParsedFile, header_score, parse_tabular, records_frame

WORKBOOK = "latest_ratings_workbook"
LOCATIONS_CSV = "locations_csv"
PROVIDERS = "providers"
WORKBOOK_SUFFIXES = (".ods", ".xlsx")


def us_date(cell: Any) -> dt.date:
    """`1/2/2025 12:00:00 AM` (month first, as CQC's CSV writes it) or an ISO date -> date."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = str(cell).strip()
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("not a date (expected M/D/YYYY h:mm:ss AM or YYYY-MM-DD)")


def _optional(name: str, *spellings: str, kind="text") -> Column:
    return Column(name, kind, spellings, required=False)


def newest_publication_date(rows: list[dict[str, Any]]) -> str:
    dates = [r["publication_date"] for r in rows if r.get("publication_date") is not None]
    if not dates:
        raise ValueError("no publication dates")
    return max(dates).isoformat()


# The workbook's Locations and Providers sheets (every spelling seen in releases).
_RATING_COLUMNS = (
    Column("service", "text", ("Service / Population Group", "Service/Population Group")),
    Column("key_question", "text", ("Domain", "Key Question")),
    Column("rating", "text", ("Latest Rating",)),
    Column("publication_date", "date", ("Publication Date",), convert=us_date),
    _optional("report_type", "Report Type"),
    _optional("inherited_rating", "Inherited Rating (Y/N)"),
)
WORKBOOK_LOCATION_COLUMNS = (
    Column("location_id", "text", ("Location ID",)),
    Column("location_name", "text", ("Location Name",)),
    _optional("ods_code", "Location ODS Code"),
    _optional("location_type", "Location Type", "Location Type/Sector"),
    _optional("primary_inspection_category", "Location Primary Inspection Category"),
    _optional("local_authority", "Location Local Authority"),
    _optional("region", "Location Region"),
    Column("provider_id", "text", ("Provider ID",)),
    _optional("provider_name", "Provider Name"),
    *_RATING_COLUMNS,
)
WORKBOOK_PROVIDER_COLUMNS = (
    Column("provider_id", "text", ("Provider ID",)),
    Column("provider_name", "text", ("Provider Name",)),
    _optional("provider_type", "Provider Type", "Provider Type/Sector"),
    _optional("primary_inspection_category", "Provider Primary Inspection Category"),
    _optional("local_authority", "Provider Local Authority"),
    _optional("region", "Provider Region"),
    *_RATING_COLUMNS,
)

# The locations CSV: the five key questions and the overall rating side by side.
CSV_RATING_COLUMNS = {
    "Overall": "Location Latest Overall Rating",
    "Safe": "Location safe rating",
    "Effective": "Location effective rating",
    "Caring": "Location caring rating",
    "Responsive": "Location responsive rating",
    "Well-led": "Location well-led rating",
}
CSV_COLUMNS = (
    Column("location_id", "text", ("Location ID",)),
    Column("location_name", "text", ("Location Name",)),
    Column("provider_id", "text", ("Provider ID",)),
    _optional("provider_name", "Provider Name"),
    _optional("local_authority", "Location Local Authority"),
    _optional("region", "Location ADASS Region"),
    _optional("primary_inspection_category", "Primary inspection category"),
    Column("publication_date", "date", ("Publication Date",), convert=us_date),
    *[Column(f"rating_{kq.lower().replace('-', '_')}", "text", (header,)) for kq, header in CSV_RATING_COLUMNS.items()],
)
# Personal data in the CSV: never read (the reader drops these columns by name, without a warning).
CSV_PERSONAL_COLUMNS = ("Registered manager",)


def _layout(spec: SourceSpec, **changes) -> SourceSpec:
    """The export spec as one layout's reader sees it (its own columns, format and sheet)."""
    return dataclasses.replace(spec, parser=None, detect=None, is_total_row=None, file_period=newest_publication_date, **changes)


def _workbook_layout(spec: SourceSpec, path: Path, sheet: str, columns) -> SourceSpec:
    suffix = Path(path).suffix.lower().lstrip(".")
    return _layout(spec, format=suffix, sheet=sheet, columns=columns)


def _csv_layout(spec: SourceSpec) -> SourceSpec:
    return _layout(spec, format="csv", columns=CSV_COLUMNS, dropped_columns=CSV_PERSONAL_COLUMNS)


def looks_like_export(path: Path, spec: SourceSpec) -> bool:
    suffix = Path(path).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return header_score(path, _workbook_layout(spec, path, "Locations", WORKBOOK_LOCATION_COLUMNS)) == 1.0
    if suffix == ".csv":
        return header_score(path, _csv_layout(spec)) == 1.0
    return False


def parse_export(path: Path, spec: SourceSpec) -> ParsedFile:
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return _parse_workbook(path, spec)
    if path.suffix.lower() == ".csv":
        return _parse_csv(path, spec)
    raise IngestError("not a CQC ratings export (expected .ods, .xlsx or .csv)", file=path, reason="unsupported_format")


def _parse_workbook(path: Path, spec: SourceSpec) -> ParsedFile:
    locations = parse_tabular(path, _workbook_layout(spec, path, "Locations", WORKBOOK_LOCATION_COLUMNS))
    main = locations.tables[""].assign(export_kind=WORKBOOK)
    period = main["_period"].iloc[0]
    try:
        providers = parse_tabular(path, _workbook_layout(spec, path, "Providers", WORKBOOK_PROVIDER_COLUMNS)).tables[""]
    except IngestError as exc:
        if exc.reason not in ("missing_sheet", "no_data"):
            raise
        providers = records_frame([], spec.extra_tables[PROVIDERS])
        locations.warnings.append(f"{path.name}: no provider ratings ({exc.message})")
    # One snapshot per workbook: the Locations sheet's newest publication dates it.
    providers["_period"] = period
    tables = {"": _conform(main, spec.columns), PROVIDERS: _conform(providers, spec.extra_tables[PROVIDERS])}
    return ParsedFile(spec.key, path, tables, locations.warnings)


def _parse_csv(path: Path, spec: SourceSpec) -> ParsedFile:
    wide = parse_tabular(path, _csv_layout(spec))
    frame = wide.tables[""]
    long_rows = []
    for record in frame.to_dict("records"):
        for key_question in CSV_RATING_COLUMNS:
            rating = record[f"rating_{key_question.lower().replace('-', '_')}"]
            if rating is None or rating is pd.NA:
                continue  # a blank cell: CQC published no rating for it
            long_rows.append(
                {
                    **{k: v for k, v in record.items() if not k.startswith("rating_")},
                    "service": None,
                    "key_question": key_question,
                    "rating": rating,
                    "export_kind": LOCATIONS_CSV,
                }
            )
    main = records_frame(long_rows, spec.columns)
    main["_period"] = frame["_period"].iloc[0] if len(frame) else None
    tables = {"": main, PROVIDERS: records_frame([], spec.extra_tables[PROVIDERS])}
    return ParsedFile(spec.key, path, tables, wide.warnings)


def _conform(frame: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    """The frame with exactly the raw table's columns (missing optional ones as NULL)."""
    return records_frame(frame.to_dict("records"), columns)
