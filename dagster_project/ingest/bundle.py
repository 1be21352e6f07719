"""A capture of many small documents (an API's list pages and records) kept as one landed file.

The landing store keeps one immutable file per partition vintage, but an API snapshot is hundreds
of JSON documents. A bundle is a zip of those documents, each stored byte for byte under its path in
the capture (e.g. `location_details/location_RM317.json`), plus a `_capture.json` member saying how
and when the capture was made. Bundles are written deterministically (sorted names, fixed
timestamps), so the same documents always make the same bytes and the same sha256, and the landing
store recognises an unchanged capture instead of loading it twice.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

from dagster_project.ingest.errors import IngestError

CAPTURE_MEMBER = "_capture.json"
# Zip stores local times from 1980 on; one fixed stamp keeps the bytes a function of the content.
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def write_bundle(dest: Path, documents: Iterable[tuple[str, bytes]], capture: dict) -> Path:
    """Write `documents` ((member name, bytes) pairs) and the capture record into the zip `dest`."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    items = sorted(documents, key=lambda item: item[0])
    names = [name for name, _ in items]
    if len(set(names)) != len(names) or CAPTURE_MEMBER in names:
        raise ValueError("bundle members must be unique and must not be named _capture.json")
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        _write_member(archive, CAPTURE_MEMBER, json.dumps(capture, indent=2, sort_keys=True).encode())
        for name, data in items:
            _write_member(archive, name, data)
    return dest


def _write_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def is_bundle(path: Path) -> bool:
    """A zip with a capture record (workbooks are zips too, but have none)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return CAPTURE_MEMBER in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def member_names(path: Path) -> list[str]:
    with _open(path) as archive:
        return [n for n in archive.namelist() if n != CAPTURE_MEMBER]


def read_capture(path: Path) -> dict:
    with _open(path) as archive:
        try:
            record = json.loads(archive.read(CAPTURE_MEMBER))
        except KeyError:
            raise IngestError(
                "bundle has no _capture.json (not a capture made by this warehouse)", file=path, reason="not_a_bundle"
            ) from None
        except json.JSONDecodeError as exc:
            raise IngestError(f"_capture.json is not JSON ({exc})", file=path, reason="malformed") from exc
    if not isinstance(record, dict):
        raise IngestError("_capture.json is not a JSON object", file=path, reason="malformed")
    return record


def iter_members(path: Path, names: Iterable[str] | None = None) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each document member, in name order (or of `names`, in that order)."""
    with _open(path) as archive:
        chosen = sorted(n for n in archive.namelist() if n != CAPTURE_MEMBER) if names is None else list(names)
        for name in chosen:
            yield name, archive.read(name)


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"not a readable capture bundle ({exc})", file=path, reason="not_a_bundle") from exc
