"""Read a publisher's table (CSV, XLSX, ODS) into canonical columns, by content not by position.

The reader finds the header row by the columns it contains, maps every spelling the publisher has
used to one canonical name, turns missing-value markers into NULL, converts types strictly (a
non-numeric count is an error naming its row and column), and keeps publisher totals rows apart
from data rows so the gate can reconcile against them.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol

import pandas as pd

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.columns import Column, normalise_header
from dagster_project.ingest.textfile import bounded_lines, looks_like_html, open_text


class TableSpec(Protocol):
    """What this reader reads of a source spec (`spec.SourceSpec` is one; it calls this module to parse).
    Read-only members (properties), so that a frozen dataclass satisfies it."""

    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def columns(self) -> tuple[Column, ...]: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def period_column(self) -> str | None: ...
    @property
    def period_from_value(self) -> Callable[[str], str] | None: ...
    @property
    def period_from_name(self) -> Callable[[str], str] | None: ...
    @property
    def is_total_row(self) -> Callable[[dict[str, str]], bool] | None: ...
    @property
    def missing_markers(self) -> frozenset[str]: ...
    @property
    def file_period(self) -> Callable[[list[dict[str, Any]]], str] | None: ...

    @property
    def dropped_spellings(self) -> frozenset[str]: ...

    def column(self, name: str) -> Column: ...


HEADER_SCAN_ROWS = 40
PANDAS_DTYPES = {
    "text": "string",
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "date": "object",
    "timestamp": "object",
}


@dataclass
class ParsedFile:
    """A parsed extract: one frame per raw table, each row carrying `_period` and `_row_number`."""

    source_key: str
    path: Path
    tables: dict[str, pd.DataFrame]
    warnings: list[str] = field(default_factory=list)

    @property
    def periods(self) -> list[str]:
        main = self.tables.get("")
        if main is None or main.empty:
            return []
        return sorted(main["_period"].dropna().unique().tolist())

    def for_period(self, period: str) -> dict[str, pd.DataFrame]:
        return {suffix: df[df["_period"] == period].reset_index(drop=True) for suffix, df in self.tables.items()}

    @property
    def row_count(self) -> int:
        main = self.tables.get("")
        return 0 if main is None else len(main)


# ---------------------------------------------------------------------------------------------
# Cell conversion


def _clean(cell: Any) -> Any:
    if isinstance(cell, str):
        return cell.replace("\ufeff", "").strip()
    return cell


def _is_missing(cell: Any, markers: frozenset[str]) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and cell != cell:  # NaN
        return True
    return isinstance(cell, str) and cell.casefold() in markers


def to_integer(cell: Any) -> int:
    if isinstance(cell, bool):
        raise ValueError("boolean")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        if cell.is_integer():
            return int(cell)
        raise ValueError("not a whole number")
    text = str(cell).replace(",", "")
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+\.0*", text):
        return int(float(text))
    raise ValueError("not a whole number")


def to_number(cell: Any) -> float:
    if isinstance(cell, bool):
        raise ValueError("boolean")
    if isinstance(cell, (int, float)):
        return float(cell)
    text = str(cell).replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError("not a number")
    return float(text)


def to_date(cell: Any) -> dt.date:
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = str(cell)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("not a date (expected YYYY-MM-DD or DD/MM/YYYY)")


def to_timestamp(cell: Any) -> dt.datetime:
    if isinstance(cell, dt.datetime):
        return cell
    if isinstance(cell, dt.date):
        return dt.datetime(cell.year, cell.month, cell.day)
    try:
        return dt.datetime.fromisoformat(str(cell).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError as exc:
        raise ValueError("not a timestamp (expected ISO 8601)") from exc


def to_boolean(cell: Any) -> bool:
    text = str(cell).casefold()
    if text in {"true", "yes", "y", "1"}:
        return True
    if text in {"false", "no", "n", "0"}:
        return False
    raise ValueError("not true/false")


def to_text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (dt.date, dt.datetime)):
        return cell.isoformat()
    return str(cell)


CONVERTERS = {
    "text": to_text,
    "integer": to_integer,
    "number": to_number,
    "date": to_date,
    "timestamp": to_timestamp,
    "boolean": to_boolean,
}


def convert_cell(cell: Any, column: Column, markers: frozenset[str], *, file: Path, row: int) -> Any:
    cell = _clean(cell)
    if column.kind == "text":
        if cell is None or cell == "":
            return None
    elif _is_missing(cell, markers):
        return None
    try:
        return (column.convert or CONVERTERS[column.kind])(cell)
    except (ValueError, TypeError) as exc:
        kind = {"integer": "a whole number", "number": "a number"}.get(column.kind, f"a {column.kind}")
        raise IngestError(
            f"value {cell!r} is not {kind} ({exc})", file=file, row=row, column=column.name, reason="bad_value"
        ) from exc


# ---------------------------------------------------------------------------------------------
# Reading rows


def decode_text(path: Path, raw: bytes, warnings: list[str]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Publishers occasionally export from Excel as Windows-1252 (a `£` gives it away).
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise IngestError(f"not UTF-8 or Windows-1252 text (byte {exc.start})", file=path, reason="bad_encoding") from exc
        warnings.append(f"{path.name}: not UTF-8; decoded as Windows-1252")
        return text


_looks_like_html = looks_like_html


def read_rows(path: Path, spec: TableSpec, warnings: list[str], *, head_only: bool = False) -> Iterator[tuple[int, list[Any]]]:
    """Yield (row number as the publisher's file shows it, cells) for CSV or a workbook sheet.

    CSV is streamed, never read whole; `head_only` is for callers that stop after the header rows.
    """
    if path.stat().st_size == 0:
        raise IngestError("file is empty (0 bytes)", file=path, reason="empty")
    if spec.format == "csv":
        handle, encoding = open_text(path, warnings, head_only=head_only)
        if encoding.stray_bom_lines:
            lines = encoding.stray_bom_lines
            warnings.append(
                f"{path.name}: byte-order mark in the middle of the file (line {', '.join(map(str, lines[:5]))}"
                f"{', ...' if len(lines) > 5 else ''}): removed; were two exports joined?"
            )
        with handle:
            reader = csv.reader(bounded_lines(handle, path))
            try:
                for cells in reader:
                    yield reader.line_num, cells
            except csv.Error as exc:
                raise IngestError(f"malformed CSV ({exc})", file=path, row=reader.line_num + 1, reason="malformed") from exc
            except UnicodeDecodeError as exc:  # past the head that `head_only` checked
                raise IngestError(
                    f"not UTF-8 text after the first rows ({exc.reason})",
                    file=path,
                    row=reader.line_num + 1,
                    reason="bad_encoding",
                ) from exc
        return
    if spec.format in ("xlsx", "ods", "xls"):
        yield from read_sheet(path, spec.sheet)
        return
    raise IngestError(f"no tabular reader for format {spec.format!r}", file=path, reason="unsupported_format")


def open_workbook(path: Path):
    """The workbook, or IngestError: `encrypted` (saved with a password) or `bad_workbook`."""
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError as exc:
        raise IngestError(
            "workbook is password-protected (encrypted): it cannot be read; ask the publisher for a copy without a password",
            file=path,
            reason="encrypted",
        ) from exc
    except Exception as exc:  # calamine raises its own types for corrupt workbooks
        raise IngestError(f"cannot open workbook ({exc})", file=path, reason="bad_workbook") from exc


def read_sheet(path: Path, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    workbook = open_workbook(path)
    names = workbook.sheet_names
    if sheet is None:
        chosen = names[0]
    else:
        matches = [n for n in names if normalise_header(n) == normalise_header(sheet)]
        if not matches:
            raise IngestError(f"no sheet named {sheet!r} (sheets: {', '.join(names)})", file=path, reason="missing_sheet")
        chosen = matches[0]
    for index, cells in enumerate(workbook.get_sheet_by_name(chosen).iter_rows(), start=1):
        yield index, [None if c == "" else c for c in cells]


def read_all_sheets(path: Path) -> list[tuple[str, list[tuple[int, list[Any]]]]]:
    """(sheet name, rows) for every sheet of a workbook, or [(file stem, rows)] for a CSV.

    For publications that spread one table over several sheets or put tables on sheets whose
    names change between releases; rows are (row number as the file shows it, cells).
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError("file is empty (0 bytes)", file=path, reason="empty")
    if path.suffix.lower() in (".csv", ".txt"):
        text = decode_text(path, path.read_bytes(), [])
        if _looks_like_html(text):
            raise IngestError("file is an HTML page, not a CSV extract", file=path, reason="html_not_data")
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            return [(path.stem, [(reader.line_num, cells) for cells in reader])]
        except csv.Error as exc:
            raise IngestError(f"malformed CSV ({exc})", file=path, row=reader.line_num + 1, reason="malformed") from exc
    workbook = open_workbook(path)
    return [
        (
            name,
            [
                (i, [None if c == "" else c for c in cells])
                for i, cells in enumerate(workbook.get_sheet_by_name(name).iter_rows(), start=1)
            ],
        )
        for name in workbook.sheet_names
    ]


# ---------------------------------------------------------------------------------------------
# Header and mapping


@dataclass
class Header:
    row: int
    width: int
    index_of: dict[str, int]  # canonical name -> cell index
    ignored: list[str]


def match_header(
    cells: list[Any], columns: Iterable[Column], dropped: frozenset[str] = frozenset()
) -> tuple[dict[str, int], list[str], list[str]]:
    """Map header cells to canonical columns: (index_of, unknown names, duplicated names).

    Cells spelled like one of `dropped` (columns the spec leaves out on purpose) are neither
    mapped nor reported as unknown.
    """
    by_spelling = {s: c.name for c in columns for s in c.spellings}
    index_of: dict[str, int] = {}
    unknown, duplicated = [], []
    for i, cell in enumerate(cells):
        name = normalise_header(to_text(cell)) if cell is not None else ""
        if not name or name in dropped:
            continue
        canonical = by_spelling.get(name)
        if canonical is None:
            unknown.append(to_text(cell).strip())
        elif canonical in index_of:
            duplicated.append(canonical)
        else:
            index_of[canonical] = i
    return index_of, unknown, duplicated


def find_header(rows: list[tuple[int, list[Any]]], spec: TableSpec, path: Path) -> Header:
    required = [c.name for c in spec.columns if c.required]
    best: tuple[int, int, dict[str, int]] | None = None
    for position, (row_number, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        index_of, unknown, duplicated = match_header(cells, spec.columns, spec.dropped_spellings)
        if all(name in index_of for name in required):
            if duplicated:
                raise IngestError(
                    f"header has column {duplicated[0]!r} twice",
                    file=path,
                    row=row_number,
                    column=duplicated[0],
                    reason="duplicate_column",
                )
            return Header(row=position, width=len(cells), index_of=index_of, ignored=unknown)
        if best is None or len(index_of) > len(best[2]):
            best = (position, row_number, index_of)
    if best is not None and len(best[2]) >= max(2, len(required) // 3):
        missing = [name for name in required if name not in best[2]]
        spellings = " / ".join(sorted({spec.column(missing[0]).name, *spec.column(missing[0]).aliases}))
        raise IngestError(
            f"required column {missing[0]!r} ({spellings}) not found in the header"
            + (f"; also missing: {', '.join(missing[1:])}" if missing[1:] else ""),
            file=path,
            row=best[1],
            column=missing[0],
            reason="missing_column",
        )
    raise IngestError(
        f"not a {spec.title} file: no header row with its columns in the first {HEADER_SCAN_ROWS} rows",
        file=path,
        reason="unrecognised",
    )


def header_score(path: Path, spec: TableSpec) -> float:
    """Share of `spec`'s required columns in the best header row among the file's first rows."""
    # Workbook readers are chosen by extension; a CSV is recognised by its header alone.
    if spec.format in ("xlsx", "ods", "xls") and Path(path).suffix.lower().lstrip(".") != spec.format:
        return 0.0
    required = [c.name for c in spec.columns if c.required]
    if not required:
        return 0.0
    try:
        best = 0
        for position, (_, cells) in enumerate(read_rows(Path(path), spec, [], head_only=True)):
            index_of, _, _ = match_header(cells, spec.columns)
            best = max(best, sum(name in index_of for name in required))
            if position + 1 >= HEADER_SCAN_ROWS or best == len(required):
                break
        return best / len(required)
    except IngestError:
        return 0.0


# ---------------------------------------------------------------------------------------------
# The parser


def parse_tabular(path: Path, spec: TableSpec, name: str | None = None) -> ParsedFile:
    """Parse one extract per its spec. Raises IngestError naming the file, row and column.

    `name` is the publisher's file name when `path` is a stored copy (see `SourceSpec.parse`).

    Rows stream from the reader: the header is found among the first rows, and the rest are
    converted as they are read, so the file itself is never held in memory.
    """
    path = Path(path)
    warnings: list[str] = []
    rows = iter(read_rows(path, spec, warnings))
    head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
    if not head:
        raise IngestError("file has no rows", file=path, reason="empty")
    header = find_header(head, spec, path)
    header_number, header_cells = head[header.row]
    for name in header.ignored:
        warnings.append(f"{path.name}: ignored column {name!r} (not in the {spec.key} spec)")
    unnamed = [i for i, c in enumerate(header_cells) if _clean(c) in (None, "")]
    unnamed_with_values: dict[int, tuple[int, Any]] = {}
    header_again = [_clean(c) for c in header_cells]

    data: dict[str, list[dict[str, Any]]] = {"": [], "totals": []}
    plan = [(column, header.index_of.get(column.name)) for column in spec.columns]
    used = max(header.index_of.values()) + 1
    for row_number, cells in itertools.chain(head[header.row + 1 :], rows):
        if _blank(cells):
            continue
        if cells and _clean(cells[0]) == header_again[0] and [_clean(c) for c in cells] == header_again:
            raise _repeated_header(path, row_number, header_number)
        if len(cells) < used or len(cells) > header.width:
            _check_width(cells, header, path, row_number)
        for i in unnamed:
            if i not in unnamed_with_values and i < len(cells) and _clean(cells[i]) not in (None, ""):
                unnamed_with_values[i] = (row_number, cells[i])
        is_total = spec.is_total_row is not None and spec.is_total_row(
            {
                name: (to_text(_clean(cells[i])) if i < len(cells) and cells[i] is not None else "")
                for name, i in header.index_of.items()
            }
        )
        record: dict[str, Any] = {"_row_number": row_number}
        try:
            for column, at in plan:
                cell = cells[at] if at is not None and at < len(cells) else None
                if is_total and column.kind == "text":
                    record[column.name] = to_text(_clean(cell)) if cell not in (None, "") else None
                    continue
                value = _fast_convert(cell, column, spec.missing_markers) if type(cell) is str else _SLOW
                if value is _SLOW:
                    value = convert_cell(cell, column, spec.missing_markers, file=path, row=row_number)
                record[column.name] = value
        except IngestError:
            # A header spelled differently from the first one (a later month's export) fails as a value.
            index_of, _, _ = match_header(cells, spec.columns)
            if all(c.name in index_of for c in spec.columns if c.required):
                raise _repeated_header(path, row_number, header_number) from None
            raise
        data["totals" if is_total else ""].append(record)

    if not data[""]:
        raise IngestError("no data rows below the header", file=path, row=header_number, reason="no_data")
    for i, (row_number, value) in sorted(unnamed_with_values.items()):
        # A value under a blank header cell cannot be mapped to any column: say so rather than lose it quietly.
        warnings.append(
            f"{path.name}: column {i + 1} has no header but holds values (e.g. {value!r} at row {row_number}); ignored"
        )
    _assign_periods(data, spec, path, name or path.name)
    tables = {suffix: _frame(records, spec.columns) for suffix, records in data.items() if suffix == "" or spec.is_total_row}
    return ParsedFile(source_key=spec.key, path=path, tables=tables, warnings=warnings)


_SLOW = object()


def _fast_convert(cell: str, column: Column, markers: frozenset[str]) -> Any:
    """The common cases of `convert_cell` for a text cell, at a fraction of its cost; `_SLOW` for
    anything else (which `convert_cell` then handles, with its errors). Same results, by design:
    plain text, and ASCII digits (with an optional decimal point for numbers)."""
    if column.convert is not None:
        return _SLOW
    value = cell.strip() if "\ufeff" not in cell else cell.replace("\ufeff", "").strip()
    kind = column.kind
    if kind == "text":
        return value or None
    if not value.isascii() or value.casefold() in markers:
        return _SLOW
    if kind == "integer" and value.isdigit():
        return int(value)
    if kind == "number" and value.replace(".", "", 1).isdigit():
        return float(value)
    return _SLOW


def _blank(cells: list[Any]) -> bool:
    try:
        return not "".join(cells).replace("\ufeff", "").strip()
    except TypeError:  # workbook cells: numbers, dates, None
        return all(_clean(c) in (None, "") for c in cells)


def _repeated_header(path: Path, row_number: int, header_number: int) -> IngestError:
    return IngestError(
        f"a header row again (the header is row {header_number}): two extracts joined into one file?",
        file=path,
        row=row_number,
        reason="repeated_header",
    )


def _check_width(cells: list[Any], header: Header, path: Path, row_number: int) -> None:
    used = max(header.index_of.values()) + 1
    if len(cells) < used:
        raise IngestError(
            f"row has {len(cells)} fields but the header has {header.width} (truncated?)",
            file=path,
            row=row_number,
            reason="short_row",
        )
    extra = [c for c in cells[header.width :] if _clean(c) not in (None, "")]
    if extra:
        raise IngestError(
            f"row has {len(cells)} fields but the header has {header.width}; extra value {extra[0]!r}",
            file=path,
            row=row_number,
            reason="long_row",
        )


def _assign_periods(data: dict[str, list[dict[str, Any]]], spec: TableSpec, path: Path, name: str) -> None:
    if spec.period_from_name is not None and (
        spec.period_column is None or all(r.get(spec.period_column) is None for r in data[""])
    ):
        # A layout without the period column: the publisher's file name says which month it is.
        try:
            period = spec.period_from_name(name)
        except ValueError as exc:
            raise IngestError(
                f"the file has no {spec.period_column} column and its name {name!r} does not say the period ({exc})",
                file=path,
                reason="bad_period",
            ) from exc
        for record in data[""] + data["totals"]:
            record["_period"] = period
        return
    if spec.period_column is None and spec.file_period is not None:
        # A snapshot file: one period for every row, read from the rows as a whole.
        try:
            period = spec.file_period(data[""])
        except ValueError as exc:
            raise IngestError(f"cannot tell which snapshot this file is ({exc})", file=path, reason="bad_period") from exc
        for record in data[""] + data["totals"]:
            record["_period"] = period
        return
    if spec.period_column is None or spec.period_from_value is None:
        raise IngestError(f"spec {spec.key} has no period column", file=path, reason="spec")
    # Every row of a month says the same thing: read each distinct value once.
    period_of = functools.lru_cache(maxsize=1024)(spec.period_from_value)
    for record in data[""]:
        value = record.get(spec.period_column)
        try:
            record["_period"] = period_of(str(value))
        except ValueError as exc:
            raise IngestError(
                f"cannot read the period from {value!r} ({exc})",
                file=path,
                row=record["_row_number"],
                column=spec.period_column,
                reason="bad_period",
            ) from exc
    periods = {r["_period"] for r in data[""]}
    for record in data["totals"]:
        try:
            record["_period"] = spec.period_from_value(str(record.get(spec.period_column)))
        except ValueError:
            # Totals rows often say TOTAL in every text cell; in a one-period file they belong to it.
            if len(periods) != 1:
                raise IngestError(
                    "totals row without a period in a file of several periods",
                    file=path,
                    row=record["_row_number"],
                    column=spec.period_column,
                    reason="bad_period",
                ) from None
            record["_period"] = next(iter(periods))


def records_frame(records: list[dict[str, Any]], columns: tuple[Column, ...]) -> pd.DataFrame:
    """Typed rows ({canonical name: value, `_row_number`, `_period`}) as one raw table's frame.

    For custom parsers (JSON, bundles) that build their rows themselves.
    """
    return _frame(records, columns)


def _frame(records: list[dict[str, Any]], columns: tuple[Column, ...]) -> pd.DataFrame:
    names = ["_row_number", "_period", *[c.name for c in columns]]
    frame = pd.DataFrame.from_records(records, columns=names)
    dtypes = {"_row_number": "Int64", "_period": "string"} | {c.name: PANDAS_DTYPES[c.kind] for c in columns}
    return frame.astype(dtypes)
