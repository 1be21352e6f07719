"""The bad-input corpus: real extracts damaged the ways publishers and networks damage them.

Each case names the real file it was made from, how it was damaged (a recipe over the real bytes,
so `python -m tests.corpus.make` rebuilds every file exactly), and what the warehouse must do with
it: load it (perhaps with a warning), or quarantine it with a named reason, at intake (it never
lands) or at the gate (it lands, fails its expectation suite, and is moved to quarantine).

Files too large to keep in git (the 2 GB export) have a `generate` function instead and are made
at test time, sparse.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from dagster_project.settings import PROJECT_ROOT, SAMPLES_DIR

CORPUS_DIR = Path(__file__).resolve().parent
UEC = SAMPLES_DIR / "uec"
JUNE_2023 = UEC / "June-2023-revised-130624-ndcvf47.csv"
JULY_2023 = UEC / "July-2023-revised-130624-ign340.csv"
SYSTEM_MAPPING = PROJECT_ROOT / "dbt" / "seeds" / "reference" / "nhse_system_mapping.csv"
CQC_EXPORT = SAMPLES_DIR / "ratings" / "cqc_exports_2025-08" / "Locations-head.csv"
CQC_CAPTURE = SAMPLES_DIR / "ratings" / "cqc_api_oldham_2025-03"
CQC_DETAILS = sorted((CQC_CAPTURE / "location_details").glob("*.json"))[:5]
TWELVE_HOURS = "Patients who have waited 12+ hrs from DTA to admission"


# ---------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Loaded:
    """Lands and loads for `period`; the parser's warnings include `warning` (or none at all)."""

    period: str
    warning: str | None = None
    # The damage changed only the layout: the loaded rows must equal this real file's rows.
    same_rows_as: Path | None = None

    def describe(self) -> str:
        text = f"loaded for {self.period[:7]}"
        text += f", warning “{self.warning}”" if self.warning else ", no warning"
        return text + (", rows identical to the real file" if self.same_rows_as else "")


@dataclass(frozen=True)
class Rejected:
    """Never lands: quarantined at intake with `reason`; the message names each of `names`."""

    reason: str
    names: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"quarantined at intake: `{self.reason}`" + (f" ({', '.join(self.names)})" if self.names else "")


@dataclass(frozen=True)
class GateRejects:
    """Lands, then the expectation gate fails it for `period`: quarantined as `validation_failed`."""

    period: str
    failing: tuple[str, ...]  # expectation types (or descriptions) that must fail

    reason = "validation_failed"

    def describe(self) -> str:
        return f"quarantined by the gate: `validation_failed` ({'; '.join(self.failing)})"


# ---------------------------------------------------------------------------------------------
# Recipes: real bytes in, damaged bytes out


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def truncated_mid_row(data: bytes) -> bytes:
    lines = _lines(data)
    cut = sum(map(len, lines[:100])) + len(lines[100]) // 2
    return data[:cut]


def truncated_at_row_end(data: bytes) -> bytes:
    # A download cut exactly at a line end: every row parses, but the England total row is gone.
    return b"".join(_lines(data)[:150])


def cp1252_with_pound(data: bytes) -> bytes:
    rows = _rows(data)
    rows[3][3] += " £"
    return _csv(rows, "cp1252")


def bom_mid_file(data: bytes) -> bytes:
    lines = _lines(data)
    lines[50] = b"\xef\xbb\xbf" + lines[50]
    return b"".join(lines)


def two_exports_joined(june: bytes, july: bytes) -> bytes:
    # `cat June.csv July.csv`: the second file brings its byte-order mark and header along.
    return june + july


def header_renamed(data: bytes) -> bytes:
    rows = _rows(data)
    rows[0][rows[0].index(TWELVE_HOURS)] = "Patients waiting a long time from DTA"
    return _csv(rows)


def header_respelled(data: bytes) -> bytes:
    # A spelling the publisher has used in other months (`Org Code` -> `Organisation Code`).
    rows = _rows(data)
    rows[0][1] = "Organisation Code"
    return _csv(rows)


def columns_reordered(data: bytes) -> bytes:
    return _csv([list(reversed(r)) for r in _rows(data)])


def extra_empty_column(data: bytes) -> bytes:
    return _csv([r[:4] + [""] + r[4:] for r in _rows(data)])


def unnamed_column_with_values(data: bytes) -> bytes:
    rows = _rows(data)
    return _csv([rows[0] + [""]] + [r + [str(i)] for i, r in enumerate(rows[1:], start=1)])


def extra_named_column(data: bytes) -> bytes:
    rows = _rows(data)
    return _csv([rows[0] + ["Notes"]] + [r + [""] for r in rows[1:]])


def duplicated_provider_row(data: bytes) -> bytes:
    lines = _lines(data)
    return b"".join(lines[:21] + [lines[20]] + lines[21:])


def totals_off(data: bytes) -> bytes:
    rows = _rows(data)
    col = rows[0].index(TWELVE_HOURS)
    rows[8][col] = str(int(rows[8][col]) + 50)  # one provider changed, the England total not
    return _csv(rows)


def non_numeric_count(data: bytes) -> bytes:
    rows = _rows(data)
    rows[8][rows[0].index(TWELVE_HOURS)] = "12O"  # letter O typed for a zero
    return _csv(rows)


def header_only(data: bytes) -> bytes:
    return _lines(data)[0]


def long_row(data: bytes) -> bytes:
    lines = _lines(data)
    lines[7] = lines[7].rstrip(b"\r\n") + b",999\r\n"
    return b"".join(lines)


def html_error_page() -> bytes:
    return (
        b'<!DOCTYPE html>\r\n<html lang="en"><head><meta charset="utf-8"><title>503 Service Unavailable</title>'
        b"</head>\r\n<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request. "
        b"Please try again later.</p></body></html>\r\n"
    )


def zero_bytes() -> bytes:
    return b""


def workbook_named_csv(data: bytes) -> bytes:
    # A zip (what .xlsx and .ods files are) saved under a .csv name.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("June-2023.csv", date_time=(2023, 8, 10, 9, 30, 0))
        archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def identity(data: bytes) -> bytes:
    return data


# CQC's export rows without the columns that name or reach people (the warehouse drops them anyway).
PERSONAL = ("Registered manager", "Location telephone number", "Location Web Address")


def ods_with_password(export: bytes) -> bytes:
    """The first 50 rows of CQC's locations export as a workbook's Locations sheet, saved with a password."""
    from tests.support.encrypted_ods import encrypted_ods

    rows = _rows(export)[:51]
    keep = [i for i, name in enumerate(rows[0]) if name not in PERSONAL]
    return encrypted_ods({"Locations": [[r[i] for i in keep] for r in rows]}, password="cqc-ratings-2025")


def json_cut_off(list_page: bytes, *details: bytes) -> dict[str, bytes]:
    """A CQC API capture folder whose last location document was cut off halfway (an interrupted download)."""
    files = {"locations.json": list_page}
    for path, data in zip(CQC_DETAILS, details, strict=True):
        files[f"location_details/{path.name}"] = data
    last = f"location_details/{CQC_DETAILS[-1].name}"
    files[last] = files[last][: len(files[last]) // 2]
    return files


# ---------------------------------------------------------------------------------------------
# Generated at test time (too large for git)

TWO_GB = 2 * 1024**3


def sparse_two_gigabytes(dest: Path, head_from: Path = JUNE_2023) -> Path:
    """A 2 GB "export": the real header and first rows, then a 2 GB hole (reads as NUL bytes).

    Sparse: it takes a few kilobytes on disk, whatever its size says.
    """
    lines = _lines(head_from.read_bytes())
    with open(dest, "wb") as handle:
        handle.write(b"".join(lines[:100]))
        handle.truncate(TWO_GB)
    return dest


def no_line_ends(dest: Path, head_from: Path = JUNE_2023) -> Path:
    """The real header, then 2 MB of values with no line end (a stream that lost its newlines)."""
    header = _lines(head_from.read_bytes())[0]
    with open(dest, "wb") as handle:
        handle.write(header)
        handle.write(b"0," * (1024 * 1024))
    return dest


# ---------------------------------------------------------------------------------------------
# The cases


@dataclass(frozen=True)
class Case:
    file: str  # path under tests/corpus/
    damage: str
    made_from: tuple[Path, ...]
    outcome: Loaded | Rejected | GateRejects
    recipe: Callable[..., bytes] | None = None
    generate: Callable[[Path], Path] | None = None
    ingest_name: str | None = field(default=None)

    @property
    def path(self) -> Path:
        return CORPUS_DIR / self.file

    def make(self) -> bytes | dict[str, bytes]:
        """The file's bytes, or for a folder {relative path: bytes}."""
        return self.recipe(*(p.read_bytes() for p in self.made_from))

    def on_disk(self) -> bytes | dict[str, bytes]:
        if self.path.is_dir():
            return {p.relative_to(self.path).as_posix(): p.read_bytes() for p in sorted(self.path.rglob("*")) if p.is_file()}
        return self.path.read_bytes()

    def write(self) -> None:
        made = self.make()
        if isinstance(made, dict):
            for name, data in made.items():
                (self.path / name).parent.mkdir(parents=True, exist_ok=True)
                (self.path / name).write_bytes(data)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(made)


JUNE = "2023-06-01"

CASES: tuple[Case, ...] = (
    Case(
        "uec/truncated-mid-row.csv",
        "cut off in the middle of provider row 101 (a dropped download)",
        (JUNE_2023,),
        Rejected("short_row", ("row 101",)),
        truncated_mid_row,
    ),
    Case(
        "uec/truncated-at-row-end.csv",
        "cut off exactly at the end of row 150: every row parses, the England total row is lost",
        (JUNE_2023,),
        GateRejects(JUNE, ("exactly one England total row", "provider rows reconcile")),
        truncated_at_row_end,
    ),
    Case(
        "uec/windows-1252-pound.csv",
        "saved from Excel as Windows-1252, with a `£` in an organisation name",
        (JUNE_2023,),
        Loaded(JUNE, "decoded as Windows-1252"),
        cp1252_with_pound,
    ),
    Case(
        "uec/bom-mid-file.csv",
        "a UTF-8 byte-order mark at the start of row 51",
        (JUNE_2023,),
        Loaded(JUNE, "byte-order mark in the middle of the file (line 51)", same_rows_as=JUNE_2023),
        bom_mid_file,
    ),
    Case(
        "uec/two-exports-joined.csv",
        "June and July joined with `cat`: July's byte-order mark and header in the middle",
        (JUNE_2023, JULY_2023),
        Rejected("repeated_header", ("row 207", "two extracts joined")),
        two_exports_joined,
    ),
    Case(
        "uec/header-renamed.csv",
        "the 12-hour DTA column renamed to a spelling the publisher never used",
        (JUNE_2023,),
        Rejected("missing_column", ("column 'dta_waits_over_12h'", "12+ hrs")),
        header_renamed,
    ),
    Case(
        "uec/header-respelled.csv",
        "`Org Code` written `Organisation Code`, a spelling of other months",
        (JUNE_2023,),
        Loaded(JUNE, None, same_rows_as=JUNE_2023),
        header_respelled,
    ),
    Case(
        "uec/columns-reordered.csv",
        "every column in reverse order",
        (JUNE_2023,),
        Loaded(JUNE, None, same_rows_as=JUNE_2023),
        columns_reordered,
    ),
    Case(
        "uec/extra-empty-column.csv",
        "an empty column with no header after `Org name`",
        (JUNE_2023,),
        Loaded(JUNE, None, same_rows_as=JUNE_2023),
        extra_empty_column,
    ),
    Case(
        "uec/unnamed-column-with-values.csv",
        "a last column with values but a blank header cell",
        (JUNE_2023,),
        Loaded(JUNE, "column 23 has no header but holds values", same_rows_as=JUNE_2023),
        unnamed_column_with_values,
    ),
    Case(
        "uec/extra-named-column.csv",
        "a `Notes` column the spec does not know",
        (JUNE_2023,),
        Loaded(JUNE, "ignored column 'Notes'", same_rows_as=JUNE_2023),
        extra_named_column,
    ),
    Case(
        "uec/duplicated-provider-row.csv",
        "provider row 21 repeated",
        (JUNE_2023,),
        GateRejects(JUNE, ("Each organisation appears once in a partition", "provider rows reconcile")),
        duplicated_provider_row,
    ),
    Case(
        "uec/totals-off.csv",
        "one provider's 12-hour waits raised by 50, the England total row left as it was",
        (JUNE_2023,),
        GateRejects(JUNE, ("provider rows reconcile",)),
        totals_off,
    ),
    Case(
        "uec/non-numeric-count.csv",
        "`12O` (letter O) in a count",
        (JUNE_2023,),
        Rejected("bad_value", ("row 9", "column 'dta_waits_over_12h'", "'12O'")),
        non_numeric_count,
    ),
    Case(
        "uec/long-row.csv", "a row with one value more than the header", (JUNE_2023,), Rejected("long_row", ("row 8",)), long_row
    ),
    Case(
        "uec/header-only.csv",
        "the header row and nothing else",
        (JUNE_2023,),
        Rejected(
            "no_data",
        ),
        header_only,
    ),
    Case(
        "uec/Monthly-AE-June-2023.csv",
        "another publication (NHS England's System Mapping) under an A&E file's name",
        (SYSTEM_MAPPING,),
        Rejected("unrecognised", ("not a file of any known publication",)),
        identity,
    ),
    Case(
        "uec/Monthly-AE-May-2023.csv",
        "July 2023's A&E file under May's name (the content, not the name, decides the month)",
        (JULY_2023,),
        Loaded("2023-07-01", None, same_rows_as=JULY_2023),
        identity,
    ),
    Case(
        "uec/html-error-page.csv",
        "the publisher's 503 error page saved as the month's CSV",
        (),
        Rejected("html_not_data", ("HTML page",)),
        html_error_page,
    ),
    Case("uec/zero-bytes.csv", "an empty file (0 bytes)", (), Rejected("empty", ("0 bytes",)), zero_bytes),
    Case(
        "uec/workbook-named-csv.csv",
        "a zip (as .xlsx and .ods are) saved under a .csv name",
        (JUNE_2023,),
        Rejected("not_csv", ("binary",)),
        workbook_named_csv,
    ),
    Case(
        "ratings/latest-ratings-with-password.ods",
        "CQC's export rows in a Latest ratings workbook saved with a password (ODF 1.2 AES-256 encryption)",
        (CQC_EXPORT,),
        Rejected("encrypted", ("password-protected",)),
        ods_with_password,
    ),
    Case(
        "ratings/cqc-api-json-cut-off",
        "a CQC API capture (list page and five location documents) whose last document was cut off halfway",
        (CQC_CAPTURE / "locations.json", *CQC_DETAILS),
        Rejected("malformed", ("malformed JSON", CQC_DETAILS[-1].name)),
        json_cut_off,
    ),
    Case(
        "uec/no-line-ends.csv",
        "the real header, then 2 MB of values without a line end (generated at test time)",
        (JUNE_2023,),
        Rejected("malformed", ("row 2", "line longer than")),
        generate=no_line_ends,
    ),
    Case(
        "uec/two-gigabytes.csv",
        "2 GB: the real header and 99 rows, then a hole to 2 GB (generated sparse at test time)",
        (JUNE_2023,),
        Rejected("too_large", ("over the", "not read")),
        generate=sparse_two_gigabytes,
    ),
)


def by_file(name: str) -> Case:
    for case in CASES:
        if case.file == name or Path(case.file).name == name:
            return case
    raise KeyError(name)
