"""An API capture on disk, and the bundle it lands as.

A capture folder holds the API's documents as files, in the layout the CQC API client writes and
the bundled Oldham sample already has:

    locations.json, locations_page_2.json, ...      list pages (`/locations?page=N`), as served
    location_details/location_<locationId>.json     `/locations/{id}`, as served
    providers.json, provider_details/provider_<providerId>.json   the same for providers
    _capture.json                                   how and when the client made it (optional)

Each API source packs its own part of the folder into one bundle (`ingest.bundle`), so a snapshot of
the API is one landed file per source with a snapshot-date partition: the landing store keeps one
immutable file per partition vintage, and the snapshot's documents arrive and are replaced together.
The partition is the capture's `as_at` date: the day the client captured it, or, for a folder that
does not say (the bundled sample), the newest date any of its documents records. A capture is at
least as new as the newest event it reports, and that rule gives the same date to the location and
provider bundles of one capture.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from dagster_project.ingest import bundle
from dagster_project.ingest.errors import IngestError

CAPTURE_FILE = bundle.CAPTURE_MEMBER
_DATE = re.compile(rb'"(\d{4}-\d{2}-\d{2})')


@dataclass(frozen=True)
class Entity:
    """One API entity: its list endpoint and the file names its documents have in a capture."""

    plural: str  # locations
    singular: str  # location
    id_field: str  # locationId

    @property
    def details_dir(self) -> str:
        return f"{self.singular}_details"

    def list_page_name(self, page: int) -> str:
        return f"{self.plural}.json" if page == 1 else f"{self.plural}_page_{page}.json"

    def detail_name(self, identifier: str) -> str:
        return f"{self.details_dir}/{self.singular}_{identifier}.json"

    def is_list_page(self, name: str) -> bool:
        return re.fullmatch(rf"{self.plural}(_page_\d+)?\.json", name) is not None

    def is_detail(self, name: str) -> bool:
        return name.startswith(f"{self.details_dir}/") and name.endswith(".json")


LOCATIONS = Entity("locations", "location", "locationId")
PROVIDERS = Entity("providers", "provider", "providerId")


def folder_members(folder: Path, entity: Entity) -> list[tuple[str, Path]]:
    names = []
    for path in sorted(Path(folder).rglob("*.json")):
        name = path.relative_to(folder).as_posix()
        if entity.is_list_page(name) or entity.is_detail(name):
            names.append((name, path))
    return names


def newest_date(folder: Path) -> str | None:
    """The newest YYYY-MM-DD any JSON document in the folder records (not later than today)."""
    today = dt.date.today().isoformat()
    newest = None
    for path in Path(folder).rglob("*.json"):
        if path.name == CAPTURE_FILE:
            continue
        for match in _DATE.findall(path.read_bytes()):
            value = match.decode()
            if value <= today and (newest is None or value > newest):
                newest = value
    return newest


def capture_record(folder: Path) -> dict:
    """The folder's own `_capture.json`, or one that dates it by the newest date in its documents."""
    own = Path(folder) / CAPTURE_FILE
    if own.exists():
        try:
            record = json.loads(own.read_text())
        except json.JSONDecodeError as exc:
            raise IngestError(f"{CAPTURE_FILE} is not JSON ({exc})", file=own, reason="malformed") from exc
        if not isinstance(record, dict) or not _is_date(record.get("as_at")):
            raise IngestError(f"{CAPTURE_FILE} has no as_at date (YYYY-MM-DD)", file=own, reason="bad_period")
        return record
    as_at = newest_date(folder)
    if as_at is None:
        raise IngestError("no dated document in the capture folder", file=folder, reason="bad_period")
    return {
        "as_at": as_at,
        "as_at_rule": "the folder does not say when it was captured: the newest date any of its documents records",
        "captured_at": None,
        "folder": Path(folder).name,
    }


def pack(folder: Path, work_dir: Path, entity: Entity, source_key: str) -> Path | None:
    """Bundle the folder's documents of `entity` (bytes unchanged) with the capture record."""
    members = folder_members(folder, entity)
    if not any(entity.is_detail(name) for name, _ in members):
        return None
    record = capture_record(folder) | {"source": source_key, "entity": entity.plural}
    dest = Path(work_dir) / f"{source_key}-{record['as_at']}.zip"
    return bundle.write_bundle(dest, [(name, path.read_bytes()) for name, path in members], record)


def bundle_as_at(path: Path) -> str:
    record = bundle.read_capture(path)
    if not _is_date(record.get("as_at")):
        raise IngestError("_capture.json has no as_at date (YYYY-MM-DD)", file=path, reason="bad_period")
    return record["as_at"]


def looks_like_bundle(path: Path, entity: Entity) -> bool:
    if not bundle.is_bundle(path):
        return False
    return any(entity.is_detail(name) for name in bundle.member_names(path))


def _is_date(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.date.fromisoformat(value)
        return len(value) == 10
    except ValueError:
        return False
