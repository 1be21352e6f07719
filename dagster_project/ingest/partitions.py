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

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.landing import LandedFile, LandingStore
from dagster_project.ingest.load import StagedLoad, current_vintage, stage, swap_in
from dagster_project.ingest import parquet_mirror
from dagster_project.ingest.spec import SourceSpec
from dagster_project.ingest.tabular import ParsedFile

log = logging.getLogger(__name__)


class GateOutcome(Protocol):
    success: bool

    def summary(self) -> str: ...


class Gate(Protocol):
    def validate(self, staged: StagedLoad, suite_path: Path, previous_rows: int | None) -> GateOutcome: ...


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


def previous_partition_rows(con: duckdb.DuckDBPyConnection, source: str, period: str) -> int | None:
    """Rows of the nearest earlier partition currently loaded (the gate's row-count band)."""
    row = con.execute(
        "select row_count from meta.partition_loads where source_key = ? and is_current and period < ? "
        "order by period desc limit 1",
        [source, period],
    ).fetchone()
    return row[0] if row else None


def record_failure(con: duckdb.DuckDBPyConnection, source: str, period: str | None, landed: LandedFile | None, error: dict) -> None:
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
    outcomes = getattr(gate_result, "outcomes", None) or []
    if not outcomes:
        return
    validated_at = _now()
    con.executemany(
        "insert into meta.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [staged.spec.key, staged.period, staged.landed.sha256, gate_result.suite, o.expectation, o.column,
             o.success, o.observed, o.expected, validated_at]
            for o in outcomes
        ],
    )


class PartitionLoader:
    """Loads partitions of one source into the warehouse through the gate.

    A file is loaded whole or not at all: one file can cover several partitions (Oflog's ASCOF file
    holds eight financial years), so before any of its periods is swapped in, every period it
    covers is staged and gated. If any fails, the file is quarantined and none of its periods
    changes: each keeps its previous vintage, never a mix of the good and bad parts of one file.
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
        self._parsed: dict[str, ParsedFile] = {}
        self._checked: dict[str, dict[str, tuple[GateOutcome | None, dict | None]]] = {}
        # Each period's current vintage, with the manifest listing it was read from (_latest_for).
        self._latest: tuple[frozenset[str], dict[str, LandedFile]] | None = None

    def _parse(self, landed: LandedFile) -> ParsedFile:
        if landed.sha256 not in self._parsed:
            self._parsed = {landed.sha256: self.spec.parse(landed.path(self.store.landing_dir))}
        return self._parsed[landed.sha256]

    def _stage(self, landed: LandedFile, parsed: ParsedFile, period: str) -> StagedLoad:
        frames = parsed.for_period(period)
        if frames[""].empty:
            raise IngestError(f"no rows for period {period}", file=landed.original_name, reason="period_missing")
        return stage(self.spec, period, landed, frames, self.pending_dir, loaded_at=_now())

    def _check_file(self, con: duckdb.DuckDBPyConnection, landed: LandedFile, parsed: ParsedFile) -> dict[str, tuple[GateOutcome | None, dict | None]]:
        """Gate every period the file covers, once per file: period -> (gate result, error or None)."""
        if landed.sha256 in self._checked:
            return self._checked[landed.sha256]
        checks: dict[str, tuple[GateOutcome | None, dict | None]] = {}
        staged_rows: dict[str, int] = {}
        for period in parsed.periods:
            try:
                staged = self._stage(landed, parsed, period)
            except IngestError as exc:
                exc.with_file(landed.original_name)
                checks[period] = (None, exc.as_record() | {"file": landed.original_name})
                continue
            gate_result = self.gate.validate(staged, self.spec.suite_path, self._previous_rows(con, period, staged_rows))
            staged_rows[period] = staged.row_counts.get("", 0)
            record_validation(con, staged, gate_result)
            error = None
            if not gate_result.success:
                error = {
                    "reason": "validation_failed",
                    "message": gate_result.summary(),
                    "file": landed.original_name,
                    "row": None,
                    "column": None,
                }
            checks[period] = (gate_result, error)
        self._checked = {landed.sha256: checks}
        return checks

    def _previous_rows(self, con: duckdb.DuckDBPyConnection, period: str, staged_rows: dict[str, int]) -> int | None:
        """Rows of the nearest earlier partition: loaded already, or earlier in the same file."""
        loaded = con.execute(
            "select period, row_count from meta.partition_loads where source_key = ? and is_current and period < ? "
            "order by period desc limit 1",
            [self.spec.key, period],
        ).fetchone()
        in_file = max((p for p in staged_rows if p < period), default=None)
        if in_file is not None and (loaded is None or in_file > loaded[0]):
            return staged_rows[in_file]
        return loaded[1] if loaded else None

    def _latest_for(self, period: str) -> LandedFile | None:
        # Manifests are read once for as long as nothing lands or leaves, not once per partition (a
        # run of N partitions read every manifest N times). They are named by content and never
        # rewritten, so the folder's listing says whether what was read is still what is landed.
        listing = self.store.manifest_names(self.spec.key)
        if self._latest is None or self._latest[0] != listing:
            self._latest = (listing, self.store.latest_by_period(self.spec.key))
        return self._latest[1].get(period)

    def load(self, con: duckdb.DuckDBPyConnection, period: str) -> PartitionOutcome:
        spec = self.spec
        landed = self._latest_for(period)
        if landed is None:
            return PartitionOutcome(spec.key, period, "no_file", message=f"no landed file covers {period}")
        if current_vintage(con, spec.key, period) == landed.sha256:
            return PartitionOutcome(
                spec.key, period, "unchanged", landed.original_name, landed.sha256,
                message="this vintage is already loaded",
            )
        try:
            parsed = self._parse(landed)
            if period not in parsed.periods:
                raise IngestError(f"no rows for period {period}", file=landed.original_name, reason="period_missing")
        except IngestError as exc:
            exc.with_file(landed.original_name)
            return self._reject(con, period, landed, exc.as_record() | {"file": landed.original_name})
        checks = self._check_file(con, landed, parsed)
        failed = {p: error for p, (_, error) in checks.items() if error is not None}
        if failed:
            error = dict(failed.get(period) or next(iter(failed.values())))
            if len(checks) > 1:
                error["message"] = (
                    f"{landed.original_name} covers {len(checks)} periods and failed for {', '.join(sorted(failed))}, "
                    f"so none is loaded: " + "; ".join(f"{p}: {e['message']}" for p, e in sorted(failed.items()))
                )
            outcome = self._reject(con, period, landed, error)
            outcome.gate = checks[period][0] if period in failed else next(g for g, e in checks.values() if e is not None)
            return outcome
        gate_result = checks[period][0]
        staged = self._stage(landed, parsed, period)
        swap_in(con, staged)
        warnings = list(parsed.warnings)
        if self.mirror_dir is not None:
            warnings.extend(self._mirror(con, period))
        return PartitionOutcome(
            spec.key, period, "loaded", landed.original_name, landed.sha256,
            rows=staged.row_counts.get("", 0), gate=gate_result, warnings=warnings,
            message=f"loaded {staged.row_counts.get('', 0)} rows",
        )

    def _mirror(self, con: duckdb.DuckDBPyConnection, period: str) -> list[str]:
        """Copy the swapped-in partition to the Parquet mirror; never fails the load.

        The partition is committed in DuckDB, the system of record, by now. A mirror that could not
        be written is a warning: the next full sync (every Spark build starts with one) repairs it.
        """
        try:
            parquet_mirror.sync(con, self.mirror_dir, source=self.spec.key, periods=[period])
        except Exception as exc:  # disk full, permissions: the DuckDB load stands
            log.warning("could not mirror %s %s to Parquet: %s", self.spec.key, period, exc)
            return [f"Parquet mirror not updated for {period}: {exc}"]
        return []

    def _reject(self, con, period: str, landed: LandedFile, error: dict) -> PartitionOutcome:
        record_failure(con, self.spec.key, period, landed, error)
        self.store.quarantine(landed, error | {"period": period})
        log.warning("quarantined %s (%s %s): %s", landed.original_name, self.spec.key, period, error["message"])
        return PartitionOutcome(
            self.spec.key, period, "quarantined", landed.original_name, landed.sha256,
            message=error["message"], error=error,
        )
