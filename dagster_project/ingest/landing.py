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
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHUNK = 1024 * 1024
# A temporary file younger than this is never swept: its writer may be between creating and locking it.
TEMP_MIN_AGE_S = 2.0
# A stored file without its manifest (or a manifest without its file) older than this was left by an
# interrupted put or quarantine; a live one completes within milliseconds.
ORPHAN_MIN_AGE_S = 60.0


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


def _locked_temp(folder: Path, name: str) -> tuple[int, str]:
    """A new temporary file beside `name`, locked (flock) until its writer renames it or dies.

    The kernel drops the lock when the writer's process ends however it ends, so `sweep_temp_files`
    can tell a killed writer's leftovers from a live writer's work in progress.
    """
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, tmp


def _atomic(dest: Path, write) -> None:
    """Write through `write(handle)` to a temporary name beside `dest`, fsync, then rename it into
    place: readers see the whole file or nothing, and a crash leaves only a dot-temp file (which
    `sweep_temp_files` removes once its writer's lock is gone)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _locked_temp(dest.parent, dest.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(tmp, dest)  # still locked: a sweep never takes a finished file for an orphan
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


def sweep_temp_files(folder: Path, pattern: str = ".*.tmp", min_age_s: float = TEMP_MIN_AGE_S) -> list[Path]:
    """Remove temporary files no live writer holds: what a killed process left in `folder`."""
    removed: list[Path] = []
    now = time.time()
    for path in Path(folder).glob(pattern):
        try:
            if now - path.stat().st_mtime < min_age_s:
                continue
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live writer
        else:
            path.unlink(missing_ok=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed


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
        try:
            write_atomically(self._manifest_path(source, sha), json.dumps(landed.as_record(), indent=2).encode())
        except BaseException:
            # E.g. the disk filled between the two writes: leave no file that no manifest describes.
            landed.path(self.landing_dir).unlink(missing_ok=True)
            raise
        return landed, True

    def sweep(self, source: str) -> list[Path]:
        """Remove what interrupted puts and quarantines left in `source`'s folders (a killed process's
        temporary files, a stored file without its manifest or a manifest without its file)."""
        removed: list[Path] = []
        for folder in (self.landing_dir / source, self.quarantine_dir / source):
            if folder.is_dir():
                removed += sweep_temp_files(folder)
        folder = self.landing_dir / source
        if not folder.is_dir():
            return removed
        now = time.time()
        stems: dict[str, list[Path]] = {}
        for path in folder.iterdir():
            if not path.name.startswith("."):
                stems.setdefault(path.name.split(".", 1)[0], []).append(path)
        for paths in stems.values():
            if len(paths) != 1:
                continue
            path = paths[0]
            try:
                if now - path.stat().st_mtime <= ORPHAN_MIN_AGE_S:
                    continue
                if path.suffix == ".json":
                    # A manifest alone: its file was moved to quarantine by a process killed before it
                    # removed the manifest. (Keep any manifest whose named file is there.)
                    stored = json.loads(path.read_text()).get("stored_name")
                    if stored and (folder / stored).exists():
                        continue
                path.unlink(missing_ok=True)
                removed.append(path)
            except (FileNotFoundError, ValueError):
                continue
        return removed

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

    def manifest_names(self, source: str) -> frozenset[str]:
        """The names of `source`'s manifests: cheap to list, and they change whenever a file lands or leaves."""
        folder = self.landing_dir / source
        return frozenset(p.name for p in folder.glob("*.json")) if folder.is_dir() else frozenset()

    def latest_by_period(self, source: str) -> dict[str, LandedFile]:
        """Every period's current vintage (the most recently landed file covering it), from one reading of the manifests."""
        latest: dict[str, LandedFile] = {}
        for landed in self.files(source):  # oldest first, so the newest covering file wins
            for period in landed.periods:
                latest[period] = landed
        return latest

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

    def reject(
        self,
        src: Path,
        *,
        source: str,
        error: dict,
        original_name: str | None = None,
        sha256: str | None = None,
        keep_copy: bool = True,
    ) -> Path | None:
        """Keep a copy of a file that never reached landing (it failed to parse) in quarantine.

        With `keep_copy=False` (a file too large to read) only the reason is recorded, under a key
        made from its name, size and time, since its checksum would mean reading it.
        """
        src = Path(src)
        folder = self.quarantine_dir / source
        stat = src.stat()
        sha: str | None  # unknown for a file too large to read
        dest: Path | None
        if keep_copy:
            sha = sha256 or sha256_of(src)
            key = sha
            dest = folder / f"{sha}{src.suffix.lower() or '.bin'}"
            copy_atomically(src, dest)
        else:
            sha = sha256
            key = (
                "unread-"
                + hashlib.sha256(f"{original_name or src.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()
            )
            dest = None
        record = {
            "source": source,
            "sha256": sha,
            "size": stat.st_size,
            "original_name": original_name or src.name,
            "stored_name": dest.name if dest else None,
            "rejected_at": now_utc(),
            "error": error,
        }
        write_atomically(folder / f"{key}.reason.json", json.dumps(record, indent=2).encode())
        return dest

    def quarantined(self, source: str | None = None) -> list[dict]:
        if not self.quarantine_dir.is_dir():
            return []
        pattern = f"{source}/*.reason.json" if source else "*/*.reason.json"
        records = [json.loads(p.read_text()) for p in self.quarantine_dir.glob(pattern)]
        return sorted(records, key=lambda r: r["rejected_at"])

    def is_quarantined(self, source: str, sha: str) -> bool:
        return (self.quarantine_dir / source / f"{sha}.reason.json").exists()
