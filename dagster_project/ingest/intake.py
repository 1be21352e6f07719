"""Take a file into the landing store: recognise its publication by content, read its periods, store it.

Used by `nhs-warehouse ingest`, the landing-folder sensor, HTTP fetches and the bundled samples. A
file that cannot be parsed never enters landing: a copy goes to quarantine with the reason. A file
over the size limit is refused before a byte of it is read (only its reason is recorded), and a
store that cannot write (a full disk) fails the intake cleanly, leaving landing as it was.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.landing import LandedFile, LandingStore, sha256_of
from dagster_project.ingest.spec import SourceSpec
from dagster_project.ingest.tabular import open_workbook
from dagster_project.ingest.textfile import sniff

UNRECOGNISED = "unrecognised"
# The largest file intake reads (NHS_WAREHOUSE_MAX_FILE_BYTES overrides it through Settings).
DEFAULT_MAX_FILE_BYTES = 1024**3
WORKBOOK_SUFFIXES = {".xlsx", ".xls", ".ods", ".zip"}


@dataclass
class IntakeResult:
    path: Path
    status: str  # landed | already_landed | rejected | previously_rejected | failed (could not store)
    source: str | None = None
    landed: LandedFile | None = None
    periods: tuple[str, ...] = ()
    message: str = ""
    error: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("landed", "already_landed")


# A file with at least this share of a publication's required columns is taken to be that
# publication with something missing (its parse names what), rather than an unknown file.
PARTIAL_MATCH = 0.5


def detect_source(path: Path, specs: Iterable[SourceSpec]) -> SourceSpec | None:
    """The publication whose content the file matches best, or None when none is close."""
    ranked = sorted(((spec.match_score(path), spec.key, spec) for spec in specs), key=lambda t: t[:2], reverse=True)
    scored = [(score, spec) for score, _, spec in ranked if score >= PARTIAL_MATCH]
    if not scored:
        return None
    best_score = scored[0][0]
    best = [spec for score, spec in scored if score == best_score]
    if len(best) > 1:
        names = ", ".join(s.key for s in best)
        raise IngestError(f"file matches several publications ({names}); pass --source", file=path, reason="ambiguous")
    return best[0]


def intake(
    path: Path,
    store: LandingStore,
    specs: Iterable[SourceSpec],
    *,
    spec: SourceSpec | None = None,
    original_name: str | None = None,
    url: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
) -> IntakeResult:
    path = Path(path)
    if path.is_dir():
        results = intake_folder(path, store, specs, spec=spec)
        return results[0] if len(results) == 1 else _combined(path, results)
    name = original_name or path.name
    try:
        return _intake(path, name, store, specs, spec, url, etag, last_modified, max_bytes)
    except OSError as exc:
        # The store could not write (no space, no permission): not the file's fault, so no quarantine.
        where = f" ({exc.filename})" if exc.filename else ""
        error = {
            "reason": "store_failed",
            "message": f"intake failed: {exc.strerror or exc}{where}",
            "file": name,
            "row": None,
            "column": None,
        }
        return IntakeResult(path, "failed", spec.key if spec else None, message=f"{name}: {error['message']}", error=error)


def _unreadable(path: Path, name: str) -> IngestError | None:
    """Why a file no publication recognises cannot be read at all (empty, HTML, binary, a workbook
    with a password or broken), if it is one of those."""
    suffix = path.suffix.lower()
    try:
        if suffix in WORKBOOK_SUFFIXES and path.stat().st_size > 0:
            if suffix != ".zip":
                open_workbook(path)
            return None
        sniff(path)
    except IngestError as exc:
        exc.file = None
        return exc.with_file(name)
    return None


def _intake(path, name, store, specs, spec, url, etag, last_modified, max_bytes) -> IntakeResult:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        error = IngestError(
            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (NHS_WAREHOUSE_MAX_FILE_BYTES); not read",
            file=name,
            reason="too_large",
        )
        store.reject(
            path, source=spec.key if spec else UNRECOGNISED, error=error.as_record(), original_name=name, keep_copy=False
        )
        return IntakeResult(path, "rejected", spec.key if spec else None, message=error.describe(), error=error.as_record())
    try:
        spec = spec or detect_source(path, specs)
    except IngestError as exc:
        store.reject(path, source=UNRECOGNISED, error=exc.as_record(), original_name=name)
        return IntakeResult(path, "rejected", message=exc.describe(), error=exc.as_record())
    if spec is None:
        error = _unreadable(path, name) or IngestError(
            "not a file of any known publication (no source's header or shape found)", file=name, reason="unrecognised"
        )
        store.reject(path, source=UNRECOGNISED, error=error.as_record(), original_name=name)
        return IntakeResult(path, "rejected", message=error.describe(), error=error.as_record())

    store.sweep(spec.key)  # what a killed intake left, whether or not this file turns out new
    sha = sha256_of(path)
    if store.is_quarantined(spec.key, sha):
        return IntakeResult(
            path,
            "previously_rejected",
            spec.key,
            message=f"{name}: these exact bytes were rejected before (see quarantine/{spec.key}/{sha}.reason.json)",
        )
    existing = store.get(spec.key, sha)
    if existing is not None:
        return IntakeResult(path, "already_landed", spec.key, existing, existing.periods, message=f"{name}: already landed")
    try:
        parsed = spec.parse(path, name=name)
    except IngestError as exc:
        exc.with_file(name)
        record = exc.as_record() | {"file": name}
        store.reject(path, source=spec.key, error=record, original_name=name, sha256=sha)
        return IntakeResult(path, "rejected", spec.key, message=exc.describe(), error=record)
    landed, _ = store.put(
        path,
        source=spec.key,
        periods=parsed.periods,
        original_name=name,
        url=url,
        etag=etag,
        last_modified=last_modified,
        sha256=sha,
    )
    return IntakeResult(
        path, "landed", spec.key, landed, landed.periods, message=f"{name}: landed for {', '.join(landed.periods)}"
    )


def intake_folder(
    folder: Path, store: LandingStore, specs: Iterable[SourceSpec], *, spec: SourceSpec | None = None
) -> list[IntakeResult]:
    """Land a capture folder (e.g. an API snapshot as one file per document) as one file per source.

    Each source that can `pack` a folder gathers its own documents into one bundle, which then goes
    through `intake` like any file: recognised by content, parsed, stored once by checksum.
    """
    folder = Path(folder)
    specs = list(specs)
    candidates = [spec] if spec is not None else [s for s in specs if s.pack is not None]
    results: list[IntakeResult] = []
    with tempfile.TemporaryDirectory(prefix="nhs-warehouse-pack-") as work:
        for candidate in candidates:
            if candidate.pack is None:
                error = IngestError(f"{candidate.key} is not captured as a folder; pass a file", file=folder, reason="not_a_file")
                return [IntakeResult(folder, "rejected", candidate.key, message=error.describe(), error=error.as_record())]
            try:
                packed = candidate.pack(folder, Path(work))
            except IngestError as exc:
                exc.with_file(folder)
                results.append(IntakeResult(folder, "rejected", candidate.key, message=exc.describe(), error=exc.as_record()))
                continue
            if packed is None:
                continue
            results.append(intake(packed, store, specs, spec=candidate, original_name=f"{folder.name}/{packed.name}"))
    if not results:
        error = IngestError("folder holds no capture of any known publication", file=folder, reason="unrecognised")
        results.append(IntakeResult(folder, "rejected", message=error.describe(), error=error.as_record()))
    return results


def _combined(folder: Path, results: list[IntakeResult]) -> IntakeResult:
    """One result standing for several sources' bundles from one folder (the worst status wins)."""
    bad = [r for r in results if not r.ok]
    first = bad[0] if bad else results[0]
    message = "; ".join(f"{r.source}: {r.message}" for r in results)
    return IntakeResult(folder, first.status, first.source, first.landed, first.periods, message, first.error)
