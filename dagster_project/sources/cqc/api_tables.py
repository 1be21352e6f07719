"""Read a CQC API bundle (one snapshot of locations or providers) into raw tables.

The main table has one row per document; the `ratings` table one row per rating. Before any row is
produced the capture is checked whole: every list page parses, its `total` matches what the pages
list, and every listed id has its document and no document is unlisted. A capture that fails is
rejected as a whole, so the previous snapshot stays loaded and nothing half-fetched is ever current.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from dagster_project.ingest import bundle
from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.spec import SourceSpec
from dagster_project.ingest.tabular import ParsedFile, convert_cell, records_frame
from dagster_project.sources.cqc.capture import Entity, bundle_as_at
from dagster_project.sources.cqc.documents import (
    NO_MISSING_MARKERS,
    entity_row,
    load_document,
    rating_rows,
)

RATINGS = "ratings"


def listed_ids(pages: list[tuple[str, Any]], entity: Entity, path: Path) -> list[str]:
    ids: list[str] = []
    totals = set()
    for name, page in pages:
        items = page.get(entity.plural) if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise IngestError(f"{name}: list page has no '{entity.plural}' array", file=path, reason="malformed")
        totals.add(page.get("total"))
        for position, item in enumerate(items, start=1):
            identifier = item.get(entity.id_field) if isinstance(item, dict) else None
            if not identifier:
                raise IngestError(
                    f"{name}: item {position} has no {entity.id_field}", file=path, column=entity.id_field, reason="missing_id"
                )
            ids.append(identifier)
    if len(totals) > 1:
        raise IngestError(f"list pages disagree on the total ({sorted(map(str, totals))})", file=path, reason="incomplete")
    total = next(iter(totals), None)
    if isinstance(total, int) and total != len(ids):
        raise IngestError(
            f"the API said {total} {entity.plural} but the captured pages list {len(ids)}", file=path, reason="incomplete"
        )
    return ids


def parse_bundle(path: Path, spec: SourceSpec, entity: Entity, derive: Callable[[dict], dict[str, Any]]) -> ParsedFile:
    """Parse one snapshot bundle of `entity` per `spec` (main table + `ratings`)."""
    path = Path(path)
    period = bundle_as_at(path)
    names = bundle.member_names(path)
    page_names = sorted((n for n in names if entity.is_list_page(n)), key=_page_number)
    detail_names = [n for n in names if entity.is_detail(n)]
    if not detail_names:
        raise IngestError(f"bundle holds no {entity.singular} documents", file=path, reason="no_data")

    pages = [(name, load_document(name, data, path)) for name, data in bundle.iter_members(path, page_names)]
    listed = listed_ids(pages, entity, path) if pages else None

    main_columns = spec.columns
    rating_columns = spec.extra_tables[RATINGS]
    rows: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for ordinal, (name, data) in enumerate(bundle.iter_members(path, detail_names), start=1):
        document = load_document(name, data, path)
        derived = derive(document) if isinstance(document, dict) else {}
        row = entity_row(
            document, main_columns, id_field=entity.id_field, member=name, ordinal=ordinal, bundle=path, derived=derived
        )
        identifier = document[entity.id_field]
        if name != entity.detail_name(identifier):
            raise IngestError(
                f"{name}: holds {entity.id_field} {identifier!r}, not the one its name says",
                file=path,
                row=ordinal,
                column=entity.id_field,
                reason="mismatched_id",
            )
        if identifier in seen:
            raise IngestError(
                f"{entity.id_field} {identifier!r} appears in {seen[identifier]} and {name}", file=path, reason="duplicate_id"
            )
        seen[identifier] = name
        row["_period"] = period
        rows.append(row)
        ratings_of = rating_rows(document, id_column=rating_columns[0].name, owner_id=identifier, member=name, ordinal=ordinal)
        for rating in ratings_of:
            typed = {"_row_number": ordinal, "_period": period}
            for column in rating_columns:
                typed[column.name] = convert_cell(
                    rating.get(column.name), column, NO_MISSING_MARKERS, file=Path(f"{path.name}:{name}"), row=ordinal
                )
            ratings.append(typed)

    if listed is not None:
        _check_complete(set(listed), set(seen), entity, path)
    tables = {"": records_frame(rows, main_columns), RATINGS: records_frame(ratings, rating_columns)}
    for frame in tables.values():
        frame["_period"] = period
    return ParsedFile(source_key=spec.key, path=path, tables=tables)


def _check_complete(listed: set[str], documented: set[str], entity: Entity, path: Path) -> None:
    missing = sorted(listed - documented)
    unlisted = sorted(documented - listed)
    if missing:
        raise IngestError(
            f"incomplete capture: {len(missing)} listed {entity.plural} have no document (e.g. {missing[0]})",
            file=path,
            reason="incomplete",
        )
    if unlisted:
        raise IngestError(
            f"{len(unlisted)} {entity.singular} documents are not in the list pages (e.g. {unlisted[0]})",
            file=path,
            reason="incomplete",
        )


def _page_number(name: str) -> int:
    stem = Path(name).stem
    return int(stem.rsplit("_", 1)[1]) if "_page_" in stem else 1
