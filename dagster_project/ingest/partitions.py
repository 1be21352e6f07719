"""Load partitions of a source: pick the current vintage, parse, stage, gate, swap in or quarantine.

This is the one place the raw layer's contract is carried out; the Dagster raw assets, the CLI and
the tests all call it. It knows nothing about Dagster: a `Gate` validates staged loads (the GX gate
in production) and outcomes come back as plain records.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.landing import LandedFile, LandingStore
from dagster_project.ingest.load import StagedLoad, current_vintage, stage_many, swap_in
from dagster_project.ingest import parquet_mirror
from dagster_project.ingest.spec import SourceSpec

log = logging.getLogger(__name__)


class GateOutcome(Protocol):
    success: bool

    def summary(self) -> str: ...


class Gate(Protocol):
    # previous_rows: per staged period, the row count of the partition before it (the row-count band's base).
    def validate(self, staged: StagedLoad, suite_path: Path, previous_rows: dict[str, int | None]) -> GateOutcome: ...


@dataclass
class PartitionOutcome:
    source: str
    period: str
    status: str  # loaded | unchanged | no_file | quarantined
    file_name: str | None = None
    file_sha256: str | None = None
    rows: int = 0
    message: str = ""
    error: dict | None = None
    gate: GateOutcome | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "quarantined"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def record_failure(
    con: duckdb.DuckDBPyConnection, source: str, period: str | None, landed: LandedFile | None, error: dict
) -> None:
    con.execute(
        "insert into meta.load_failures values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source,
            period,
            landed.sha256 if landed else None,
            landed.original_name if landed else error.get("file"),
            error.get("reason", "invalid"),
            error.get("message", ""),
            error.get("row"),
            error.get("column"),
            _now(),
        ],
    )


def record_validation(con: duckdb.DuckDBPyConnection, staged: StagedLoad, gate_result) -> None:
    """Every staged partition's outcome of every expectation (one validation covers them all)."""
    outcomes = getattr(gate_result, "outcomes", None) or []
    if not outcomes:
        return
    validated_at = _now()
    # One insert from a frame: executemany costs a statement per row (105 periods x 37 expectations
    # of an AmbSYS release took 8 s that way).
    rows = pd.DataFrame(
        [
            [
                staged.spec.key,
                part.period,
                part.landed.sha256,
                gate_result.suite,
                o.expectation,
                o.column,
                o.success,
                None if o.observed is None else str(o.observed),
                None if o.expected is None else str(o.expected),
                validated_at,
            ]
            for part in staged.parts
            for o in outcomes
        ],
        columns=[
            "source_key",
            "period",
            "file_sha256",
            "suite",
            "expectation",
            "column_name",
            "success",
            "observed",
            "expected",
            "validated_at",
        ],
    )
    con.register("validation_rows", rows)
    try:
        con.execute("insert into meta.validation_results by name select * from validation_rows")
    finally:
        con.unregister("validation_rows")


class PartitionLoader:
    """Loads partitions of one source into the warehouse through the gate.

    A file is loaded whole or not at all: one file can cover several partitions (Oflog's ASCOF file
    holds eight financial years), so before any of its periods is swapped in, every period it
    covers is staged and gated. If any fails, the file is quarantined and none of its periods
    changes: each keeps its previous vintage, never a mix of the good and bad parts of one file.

    `load_many` stages every partition a run loads (every period of every file) and gates them in
    one validation: Great Expectations costs about as much for one month as for fifty, so fifty
    validations cost fifty times one. Only when that validation fails is each file validated on
    its own, to find which to quarantine; the others load.
    """

    def __init__(
        self, spec: SourceSpec, store: LandingStore, gate: Gate, pending_dir: Path, mirror_dir: Path | None = None
    ) -> None:
        self.spec = spec
        self.store = store
        self.gate = gate
        self.pending_dir = Path(pending_dir)
        # Where raw partitions are mirrored to Parquet after each swap (parquet_mirror), or None.
        self.mirror_dir = Path(mirror_dir) if mirror_dir is not None else None
        # Each period's current vintage, with the manifest listing it was read from (_latest_for).
        self._latest: tuple[frozenset[str], dict[str, LandedFile]] | None = None

    def _latest_for(self, period: str) -> LandedFile | None:
        # Manifests are read once for as long as nothing lands or leaves, not once per partition (a
        # run of N partitions read every manifest N times). They are named by content and never
        # rewritten, so the folder's listing says whether what was read is still what is landed.
        listing = self.store.manifest_names(self.spec.key)
        if self._latest is None or self._latest[0] != listing:
            self._latest = (listing, self.store.latest_by_period(self.spec.key))
        return self._latest[1].get(period)

    def load(self, con: duckdb.DuckDBPyConnection, period: str) -> PartitionOutcome:
        return self.load_many(con, [period])[0]

    def load_many(self, con: duckdb.DuckDBPyConnection, periods: list[str]) -> list[PartitionOutcome]:
        """Load each period's current vintage; one outcome per period, in the order given."""
        spec = self.spec
        outcomes: dict[str, PartitionOutcome] = {}
        files: dict[str, LandedFile] = {}  # sha256 -> a file with a period to load
        wanted: dict[str, list[str]] = {}  # sha256 -> the requested periods it is the current vintage of
        for period in periods:
            landed = self._latest_for(period)
            if landed is None:
                outcomes[period] = PartitionOutcome(spec.key, period, "no_file", message=f"no landed file covers {period}")
            elif current_vintage(con, spec.key, period) == landed.sha256:
                outcomes[period] = PartitionOutcome(
                    spec.key,
                    period,
                    "unchanged",
                    landed.original_name,
                    landed.sha256,
                    message="this vintage is already loaded",
                )
            else:
                files[landed.sha256] = landed
                wanted.setdefault(landed.sha256, []).append(period)
        if files:
            staging = _Staging(self, wanted)
            verdicts, staged = self._gate_files(con, files, staging)
            for sha, error in staging.unreadable.items():
                outcomes |= self._reject(con, wanted[sha], files[sha], error)
            for sha, verdict in verdicts.items():
                if verdict.failed:
                    outcomes |= self._reject(con, wanted[sha], files[sha], verdict.error(files[sha]), verdict.result)
                else:
                    assert staged is not None  # a file passed, so _gate_files staged the files that passed
                    outcomes |= self._swap(con, staged, wanted[sha], verdict.result, staging.warnings[sha])
        return [outcomes[p] for p in periods]

    def _gate_files(
        self, con, files: dict[str, LandedFile], staging: "_Staging"
    ) -> tuple[dict[str, "_Verdict"], StagedLoad | None]:
        """Stage every period of every file and gate them in one validation; when that fails and
        several files were staged, gate each file alone to find the ones to quarantine. Returns a
        verdict per readable file and the staged load holding every file that passed."""
        staged = staging.stage(files)
        if staged is None or not staged.files:
            return {}, None
        shas = staged.files
        # Each period's band is judged against the partition before it, staged or loaded, once for all.
        previous = self._previous_rows(con, staged)
        result = self._validate(con, staged, previous)
        if result.success:
            return {sha: _Verdict(result, staged.periods_of(sha)) for sha in shas}, staged
        verdicts = {}
        for sha in shas:
            alone = staged if len(shas) == 1 else staging.restage({sha: files[sha]})
            verdict = _Verdict(result if alone is staged else self._validate(con, alone, previous), alone.periods_of(sha))
            if verdict.failed and len(verdict.periods) > 1:
                # Name the periods that failed: each of the file's periods gated on its own.
                verdict.failed_periods = [
                    period
                    for period in verdict.periods
                    if not self._validate(con, staging.restage({sha: files[sha]}, period=period), previous).success
                ]
            verdicts[sha] = verdict
        passed = {sha: files[sha] for sha in shas if not verdicts[sha].failed}
        # The pending file holds whatever was staged last: stage the files that passed together again.
        return verdicts, staging.restage(passed) if passed else None

    def _validate(self, con, staged: StagedLoad, previous: dict[str, int | None]):
        result = self.gate.validate(staged, self.spec.suite_path, {p: previous.get(p) for p in staged.periods})
        record_validation(con, staged, result)
        return result

    def _previous_rows(self, con: duckdb.DuckDBPyConnection, staged: StagedLoad) -> dict[str, int | None]:
        """Per staged period, the rows of the nearest earlier partition: staged with it, or loaded."""
        counts = dict(
            con.execute(
                "select period, row_count from meta.partition_loads where source_key = ? and is_current", [self.spec.key]
            ).fetchall()
        )
        counts |= {part.period: part.row_counts.get("", 0) for part in staged.parts}
        ordered = sorted(counts)
        return {
            period: (counts[ordered[ordered.index(period) - 1]] if ordered.index(period) else None) for period in staged.periods
        }

    def _swap(
        self, con, staged: StagedLoad, periods: list[str], gate_result, parse_warnings: list[str]
    ) -> dict[str, PartitionOutcome]:
        """Swap a file's periods in together, mirror them together; one outcome per period."""
        swap_in(con, staged, periods)
        warnings = list(parse_warnings)
        if self.mirror_dir is not None:
            warnings.extend(self._mirror(con, self.mirror_dir, periods))
        outcomes = {}
        for period in periods:
            part = staged.part(period)
            rows = part.row_counts.get("", 0)
            outcomes[period] = PartitionOutcome(
                self.spec.key,
                period,
                "loaded",
                part.landed.original_name,
                part.landed.sha256,
                rows=rows,
                gate=gate_result,
                warnings=warnings,
                message=f"loaded {rows} rows",
            )
        return outcomes

    def _mirror(self, con: duckdb.DuckDBPyConnection, mirror_dir: Path, periods: list[str]) -> list[str]:
        """Copy the swapped-in partitions to the Parquet mirror; never fails the load.

        The partition is committed in DuckDB, the system of record, by now. A mirror that could not
        be written is a warning: the next full sync (every Spark build starts with one) repairs it.
        """
        try:
            parquet_mirror.sync(con, mirror_dir, source=self.spec.key, periods=periods)
        except Exception as exc:  # disk full, permissions: the DuckDB load stands
            named = ", ".join(periods)
            log.warning("could not mirror %s %s to Parquet: %s", self.spec.key, named, exc)
            return [f"Parquet mirror not updated for {named}: {exc}"]
        return []

    def _reject(self, con, periods: list[str], landed: LandedFile, error: dict, gate_result=None) -> dict[str, PartitionOutcome]:
        """Quarantine a file once; each of its requested periods keeps its previous vintage."""
        for period in periods:
            record_failure(con, self.spec.key, period, landed, error)
        self.store.quarantine(landed, error | {"period": periods[0]})
        log.warning("quarantined %s (%s %s): %s", landed.original_name, self.spec.key, ", ".join(periods), error["message"])
        return {
            period: PartitionOutcome(
                self.spec.key,
                period,
                "quarantined",
                landed.original_name,
                landed.sha256,
                message=error["message"],
                error=error,
                gate=gate_result,
            )
            for period in periods
        }


class _Verdict:
    """The gate's verdict on one file: the validation that judged it, and the periods it covers."""

    def __init__(self, result, periods: list[str]) -> None:
        self.result = result
        self.periods = periods
        self.failed_periods: list[str] = []

    @property
    def failed(self) -> bool:
        return not self.result.success

    def error(self, landed: LandedFile) -> dict:
        message = self.result.summary()
        if len(self.periods) > 1:
            which = f" and failed for {', '.join(self.failed_periods)}" if self.failed_periods else ""
            message = f"{landed.original_name} covers {len(self.periods)} periods{which}, so none is loaded: {message}"
        return {"reason": "validation_failed", "message": message, "file": landed.original_name, "row": None, "column": None}


class _Staging:
    """Parses files one at a time into the pending file, so a run's rows are never all in memory;
    remembers which files could not be read and what their parse warned of."""

    def __init__(self, loader: PartitionLoader, wanted: dict[str, list[str]]) -> None:
        self.loader = loader
        self.wanted = wanted
        self.unreadable: dict[str, dict] = {}
        self.warnings: dict[str, list[str]] = {}

    def stage(self, files: dict[str, LandedFile], period: str | None = None) -> StagedLoad | None:
        """Stage every period of these files (or only `period`) into the pending file."""
        staged = stage_many(self.loader.spec, self._parts(files, period), self.loader.pending_dir, loaded_at=_now())
        return staged if staged.parts else None

    def restage(self, files: dict[str, LandedFile], period: str | None = None) -> StagedLoad:
        """Stage again files (or a period of them) that staged before: they have rows, so unlike
        `stage` this never returns None."""
        staged = self.stage(files, period)
        if staged is None:
            raise RuntimeError(f"files {sorted(files)} staged rows before and none now")
        return staged

    def _parts(self, files: dict[str, LandedFile], only: str | None):
        for sha, landed in files.items():
            if sha in self.unreadable:
                continue
            try:
                parsed = self.loader.spec.parse(landed.path(self.loader.store.landing_dir), name=landed.original_name)
                periods = parsed.periods  # the periods with rows in the main table
                missing = [p for p in self.wanted[sha] if p not in periods]
                if missing:
                    raise IngestError(f"no rows for period {missing[0]}", file=landed.original_name, reason="period_missing")
            except IngestError as exc:
                exc.with_file(landed.original_name)
                self.unreadable[sha] = exc.as_record() | {"file": landed.original_name}
                continue
            self.warnings[sha] = list(parsed.warnings)
            # The whole file at once (stage_many keeps the periods named): one insert, not one per period.
            if only is None:
                yield periods, landed, parsed.tables
            elif only in periods:
                yield only, landed, parsed.for_period(only)
