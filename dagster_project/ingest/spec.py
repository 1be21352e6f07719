"""What a source spec is: data that says what an extract is, where it lives and how to read it.

A spec is data, not a class hierarchy. Publication modules in `dagster_project.sources` build one
`SourceSpec` per publication; the ingest machinery, the validation gate and the Dagster assets are
all driven from it, so a source's URL, columns and suite have one home.
"""

from __future__ import annotations

import datetime as dt

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

from dagster_project.ingest.columns import DEFAULT_MISSING_MARKERS, Column, normalise_header

if TYPE_CHECKING:
    from dagster_project.ingest.tabular import ParsedFile

Partitioning = Literal["monthly", "financial_year", "snapshot"]


@dataclass(frozen=True)
class Cadence:
    """How often a publisher releases, and how long after a period ends its release is due.

    The nightly freshness reconciliation calls a source late when the newest period landed is older
    than the newest period that should be out by now.
    """

    every: Literal["daily", "monthly", "yearly"]
    due_after_days: int

    @property
    def interval(self) -> dt.timedelta:
        return dt.timedelta(days=RELEASE_INTERVAL_DAYS[self.every])

    @property
    def overdue_after(self) -> tuple[dt.timedelta, dt.timedelta]:
        """(warn, fail): how long after its last load the raw asset is overdue in Dagster's freshness
        (assets/raw.py). A release is expected every interval; warn two days after it, fail after a
        grace of a week (a month for yearly releases), as publishers slip by days, not intervals."""
        grace = dt.timedelta(days=30 if self.every == "yearly" else 7)
        return self.interval + dt.timedelta(days=2), self.interval + grace


RELEASE_INTERVAL_DAYS = {"daily": 1, "monthly": 31, "yearly": 366}
# A source that declares no cadence is released as its partitioning suggests.
DEFAULT_CADENCE = {
    "monthly": Cadence("monthly", due_after_days=75),
    "financial_year": Cadence("yearly", due_after_days=300),
    "snapshot": Cadence("monthly", due_after_days=45),
}


@dataclass(frozen=True)
class SchemaOnly:
    """A part of a layout no bundled real file exercises, checked against the publisher's schema of
    it instead (e.g. the JSON Schema of an API's documents): the README's source table and
    `nhs-warehouse status` say so, until a real file with that part is bundled and tested."""

    table: str  # the raw table's suffix, as in SourceSpec.extra_tables (e.g. "ratings")
    schema: str  # the schema file, relative to data/samples/ and cited there
    because: str  # why no real file verifies it


# How the README's source table and `nhs-warehouse status` call such a part.
SCHEMA_ONLY_WORDS = "checked against the API schema only"


@dataclass(frozen=True)
class SourceSpec:
    key: str
    family: str
    title: str
    publisher: str
    provenance: str
    format: Literal["csv", "xlsx", "ods", "xls", "json"]
    partitioning: Partitioning
    # The first partition the publication has (a month start, a financial year like 2016-17).
    first_period: str | None = None
    columns: tuple[Column, ...] = ()
    # Canonical column whose value names the partition, and how to turn that value into the key.
    period_column: str | None = None
    period_from_value: Callable[[str], str] | None = None
    # For layouts without the period column (an older export): the period read from the
    # publisher's file name instead (the name as published, not the landing store's checksum name).
    period_from_name: Callable[[str], str] | None = None
    # Given a data row as {canonical name: cell text}, is it a publisher totals row?
    is_total_row: Callable[[dict[str, str]], bool] | None = None
    missing_markers: frozenset[str] = DEFAULT_MISSING_MARKERS
    sheet: str | None = None
    # Where the bundled real samples are, relative to data/samples/: one glob, or several when a
    # publication's samples come in more than one layout or folder.
    sample_glob: str | tuple[str, ...] | None = None
    # Why no real file is bundled, when none is (the registry check asks for one or the other).
    sample_absent_because: str | None = None
    # Parts (raw tables) of a layout the bundled samples never exercise, checked against a schema only.
    schema_only: tuple[SchemaOnly, ...] = ()
    # Where the publisher puts it (a template with {period} or an index page), if fetched over HTTP.
    url_template: str | None = None
    index_url: str | None = None
    # Which links on the index page are this publication's files (a regex on the URL path).
    link_pattern: str | None = None
    # Release cadence for freshness checks (automation/freshness.py); None: DEFAULT_CADENCE of the partitioning.
    cadence: Cadence | None = None
    # A custom parser for shapes the tabular reader does not cover (nested JSON, workbooks).
    parser: Callable[[Path, "SourceSpec"], "ParsedFile"] | None = None
    # Content check for sources the tabular header match cannot recognise (e.g. JSON documents).
    detect: Callable[[Path], bool] | None = None
    # Extra raw tables a custom parser produces: suffix -> columns (the main table has suffix "").
    extra_tables: dict[str, tuple[Column, ...]] = field(default_factory=dict)
    # Columns that identify a data row within one partition: the suite checks them unique per period
    # and mart_revisions compares vintages by them (sources/registry_check.py holds both to this).
    row_key: tuple[str, ...] = ()
    # Header spellings the reader drops on purpose, without a warning: personal data the warehouse
    # does not need (e.g. a registered manager's name) never reaches a raw table.
    dropped_columns: tuple[str, ...] = ()
    # For snapshot files whose rows carry no period: one period for the whole file, from its rows
    # ({canonical name: typed value}), e.g. the newest publication date it lists.
    file_period: Callable[[list[dict[str, Any]]], str] | None = None
    # Turns a capture folder (e.g. an API snapshot saved as one file per document) into the one
    # file that lands for it: pack(folder, work_dir) -> path of that file, or None when the folder
    # holds nothing of this source.
    pack: Callable[[Path, Path], Path | None] | None = None

    @property
    def raw_table(self) -> str:
        return f"raw.{self.key}"

    @property
    def layout_verified(self) -> bool:
        """Whether the layout has been read from a real published file: a bundled sample (cited in
        data/samples/README.md, read by the tests). A layout written from a description is not, and
        parts of it the samples never exercise are listed in `schema_only`."""
        return bool(self.sample_globs)

    @property
    def release_cadence(self) -> Cadence:
        return self.cadence or DEFAULT_CADENCE[self.partitioning]

    @property
    def sample_globs(self) -> tuple[str, ...]:
        if self.sample_glob is None:
            return ()
        return (self.sample_glob,) if isinstance(self.sample_glob, str) else tuple(self.sample_glob)

    @property
    def suite_path(self) -> Path:
        from dagster_project.settings import EXPECTATIONS_DIR

        return EXPECTATIONS_DIR / f"{self.key}.json"

    def parse(self, path: Path, name: str | None = None) -> "ParsedFile":
        """Parse one extract of this publication; raises IngestError naming file, row and column.

        `name` is the publisher's file name when `path` is a copy stored under another (landing
        names files by checksum); only `period_from_name` reads it.
        """
        from dagster_project.ingest.tabular import parse_tabular

        if self.parser is not None:
            return self.parser(Path(path), self)
        return parse_tabular(Path(path), self, name=name)

    def match_score(self, path: Path) -> float:
        """How much a file looks like this publication, by content (not name): 1.0 is certain.

        For tables, the share of required columns found in the best header row, so a file that lost
        a column is still recognised (and its parse then names the missing column).
        """
        if self.detect is not None:
            return 1.0 if self.detect(Path(path)) else 0.0
        from dagster_project.ingest.tabular import header_score

        return header_score(Path(path), self)

    def matches(self, path: Path) -> bool:
        return self.match_score(path) == 1.0

    @property
    def dropped_spellings(self) -> frozenset[str]:
        return frozenset(normalise_header(name) for name in self.dropped_columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.key} has no column {name!r}")

    def table_columns(self) -> dict[str, tuple[Column, ...]]:
        """Every raw table this source loads: suffix ("" for the main table) -> columns."""
        tables: dict[str, tuple[Column, ...]] = {"": self.columns}
        if self.is_total_row is not None:
            tables["totals"] = self.columns
        tables.update(self.extra_tables)
        return tables
