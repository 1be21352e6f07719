"""The landing store: every extract kept once, immutable, named by its sha256, with a manifest.

Layout under `$NHS_WAREHOUSE_HOME/landing/`:
    <source>/<sha256>.<ext>     the publisher's bytes, never rewritten
    <source>/<sha256>.json      its manifest row (source, periods, original name, URL, sha256, size,
                                fetched_at, HTTP ETag / Last-Modified)
    incoming/                   where people and tools drop files for the landing sensor

Manifests are small JSON files written atomically beside the data rather than rows in the
warehouse DuckDB file, so sensors and the CLI can read them while a load holds the DuckDB lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class LandedFile:
    source: str
    sha256: str
    size: int
    original_name: str
    stored_name: str
    fetched_at: str
    periods: tuple[str, ...] = ()
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    extra: dict = field(default_factory=dict)

    def path(self, landing_dir: Path) -> Path:
        return landing_dir / self.source / self.stored_name

    def as_record(self) -> dict:
        record = asdict(self)
        record["periods"] = list(self.periods)
        return record

    @classmethod
    def from_record(cls, record: dict) -> "LandedFile":
        record = dict(record)
        record["periods"] = tuple(record.get("periods") or ())
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in record.items() if k in known})


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def now_utc() -> str:
    # Microseconds: arrival order decides a partition's current vintage, and two vintages of a month
    # can land within one second (a revision polled right after the first release).
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _atomic(dest: Path, write) -> None:
    """Write through `write(handle)` to a temporary name beside `dest`, fsync, then rename it into
    place: readers see the whole file or nothing, and a crash leaves only a dot-temp file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes) -> None:
    _atomic(path, lambda handle: handle.write(data))


def copy_atomically(src: Path, dest: Path) -> None:
    def copy(handle):
        with open(src, "rb") as source:
            shutil.copyfileobj(source, handle, CHUNK)

    _atomic(dest, copy)


class LandingStore:
    def __init__(self, landing_dir: Path, quarantine_dir: Path) -> None:
        self.landing_dir = Path(landing_dir)
        self.quarantine_dir = Path(quarantine_dir)

    def put(
        self,
        src: Path,
        *,
        source: str,
        periods: tuple[str, ...] | list[str] = (),
        original_name: str | None = None,
        url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        sha256: str | None = None,
    ) -> tuple[LandedFile, bool]:
        """Store `src` once; returns (its manifest, whether it was new). Same bytes twice: not copied again."""
        src = Path(src)
        sha = sha256 or sha256_of(src)
        existing = self.get(source, sha)
        if existing is not None:
            return existing, False
        ext = "".join(s for s in src.suffixes[-1:]).lower() or ".bin"
        landed = LandedFile(
            source=source,
            sha256=sha,
            size=src.stat().st_size,
            original_name=original_name or src.name,
            stored_name=f"{sha}{ext}",
            fetched_at=now_utc(),
            periods=tuple(sorted(periods)),
            url=url,
            etag=etag,
            last_modified=last_modified,
        )
        copy_atomically(src, landed.path(self.landing_dir))
        # The manifest is written last: a file without one is an interrupted put, redone next time.
        write_atomically(self._manifest_path(source, sha), json.dumps(landed.as_record(), indent=2).encode())
        return landed, True

    def _manifest_path(self, source: str, sha: str) -> Path:
        return self.landing_dir / source / f"{sha}.json"

    def get(self, source: str, sha: str) -> LandedFile | None:
        path = self._manifest_path(source, sha)
        if not path.exists():
            return None
        landed = LandedFile.from_record(json.loads(path.read_text()))
        return landed if landed.path(self.landing_dir).exists() else None

    def files(self, source: str) -> list[LandedFile]:
        """Every file landed for `source`, oldest first (arrival order decides the current vintage)."""
        folder = self.landing_dir / source
        if not folder.is_dir():
            return []
        landed = [LandedFile.from_record(json.loads(p.read_text())) for p in folder.glob("*.json")]
        landed = [f for f in landed if f.path(self.landing_dir).exists()]
        return sorted(landed, key=lambda f: (f.fetched_at, f.sha256))

    def latest_for(self, source: str, period: str) -> LandedFile | None:
        """The most recently landed file that covers `period`: its current vintage."""
        covering = [f for f in self.files(source) if period in f.periods]
        return covering[-1] if covering else None

    def periods(self, source: str) -> list[str]:
        return sorted({p for f in self.files(source) for p in f.periods})

    # -- quarantine ---------------------------------------------------------------------------

    def quarantine(self, landed: LandedFile, error: dict) -> Path:
        """Move a rejected file (and its manifest) to quarantine/<source>/ with the reason beside it."""
        folder = self.quarantine_dir / landed.source
        folder.mkdir(parents=True, exist_ok=True)
        record = landed.as_record() | {"rejected_at": now_utc(), "error": error}
        write_atomically(folder / f"{landed.sha256}.reason.json", json.dumps(record, indent=2).encode())
        src = landed.path(self.landing_dir)
        dest = folder / landed.stored_name
        if src.exists():
            os.replace(src, dest)
        self._manifest_path(landed.source, landed.sha256).unlink(missing_ok=True)
        return dest

    def reject(self, src: Path, *, source: str, error: dict, original_name: str | None = None, sha256: str | None = None) -> Path:
        """Keep a copy of a file that never reached landing (it failed to parse) in quarantine."""
        src = Path(src)
        sha = sha256 or sha256_of(src)
        ext = src.suffix.lower() or ".bin"
        folder = self.quarantine_dir / source
        dest = folder / f"{sha}{ext}"
        copy_atomically(src, dest)
        record = {
            "source": source, "sha256": sha, "size": src.stat().st_size, "original_name": original_name or src.name,
            "stored_name": dest.name, "rejected_at": now_utc(), "error": error,
        }
        write_atomically(folder / f"{sha}.reason.json", json.dumps(record, indent=2).encode())
        return dest

    def quarantined(self, source: str | None = None) -> list[dict]:
        if not self.quarantine_dir.is_dir():
            return []
        pattern = f"{source}/*.reason.json" if source else "*/*.reason.json"
        records = [json.loads(p.read_text()) for p in self.quarantine_dir.glob(pattern)]
        return sorted(records, key=lambda r: r["rejected_at"])

    def is_quarantined(self, source: str, sha: str) -> bool:
        return (self.quarantine_dir / source / f"{sha}.reason.json").exists()
