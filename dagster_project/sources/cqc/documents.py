"""Turn CQC API documents (one location or provider each) into raw rows, leaving personal data out.

A document is nested JSON. Its flat fields become one row of the entity table, by the JSON path each
column names as its spelling (`Column.aliases[0]`, e.g. `lastInspection.date`); its ratings become
rows of a long ratings table: one per key question of the location as a whole (`service_code`
NULL) and of each rated service or population group, with `key_question = 'Overall'` for the overall
rating. Values stay as CQC wrote them (normalising spellings is staging's job).

What is never read: `contacts` (registered managers, nominated individuals, partners: given and
family names), the free-text `commentary`/`overallPeopleExperience` of assessments (they name staff),
phone numbers. Only the columns a spec lists are extracted, so a field the API adds tomorrow does
not slip into the warehouse either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.columns import Column
from dagster_project.ingest.tabular import convert_cell

NO_MISSING_MARKERS: frozenset[str] = frozenset({""})


def load_document(name: str, data: bytes, bundle: Path) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise IngestError(f"{name}: not UTF-8 ({exc})", file=bundle, reason="bad_encoding") from exc
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"{name}: malformed JSON at line {exc.lineno} column {exc.colno} ({exc.msg})", file=bundle, reason="malformed"
        ) from exc


def value_at(document: dict, path: str) -> Any:
    """The value at a dotted JSON path (`lastInspection.date`), or None where any step is missing."""
    value: Any = document
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def entity_row(
    document: Any,
    columns: tuple[Column, ...],
    *,
    id_field: str,
    member: str,
    ordinal: int,
    bundle: Path,
    derived: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One typed row: each column read from its JSON path (or given in `derived`)."""
    if not isinstance(document, dict):
        raise IngestError(
            f"{member}: expected a JSON object, found {type(document).__name__}", file=bundle, row=ordinal, reason="malformed"
        )
    identifier = document.get(id_field)
    if not isinstance(identifier, str) or not identifier.strip():
        raise IngestError(f"{member}: document has no {id_field}", file=bundle, row=ordinal, column=id_field, reason="missing_id")
    derived = derived or {}
    row: dict[str, Any] = {"_row_number": ordinal, "source_document": member}
    for column in columns:
        if column.name in row:
            continue
        raw = derived[column.name] if column.name in derived else value_at(document, column.aliases[0])
        if isinstance(raw, (dict, list)):
            raise IngestError(
                f"{member}: {column.aliases[0]} is {type(raw).__name__}, expected a single value",
                file=bundle,
                row=ordinal,
                column=column.name,
                reason="bad_value",
            )
        cell = raw if raw is None or isinstance(raw, (int, float)) and not isinstance(raw, bool) else str(raw)
        row[column.name] = convert_cell(cell, column, NO_MISSING_MARKERS, file=Path(f"{bundle.name}:{member}"), row=ordinal)
    return row


def primary_inspection_category(document: dict) -> tuple[str | None, str | None]:
    """(code, name) of the category CQC marks primary (`"primary": "true"`), else the only one."""
    categories = [c for c in document.get("inspectionCategories") or [] if isinstance(c, dict)]
    primary = [c for c in categories if str(c.get("primary", "")).casefold() == "true"]
    chosen = primary[0] if primary else (categories[0] if len(categories) == 1 else None)
    return (chosen.get("code"), chosen.get("name")) if chosen else (None, None)


def names_joined(items: Any, field: str) -> str | None:
    names = sorted({str(i.get(field)).strip() for i in items or [] if isinstance(i, dict) and i.get(field)})
    return "; ".join(names) or None


def rating_rows(document: dict, *, id_column: str, owner_id: str, member: str, ordinal: int) -> list[dict[str, Any]]:
    """The document's `currentRatings` as long rows (owner, service, key question, rating, date)."""
    current = document.get("currentRatings")
    if not isinstance(current, dict):
        return []
    areas = {
        a.get("inspectionAreaId"): a.get("inspectionAreaName")
        for a in document.get("inspectionAreas") or []
        if isinstance(a, dict)
    }
    rows: list[dict[str, Any]] = []

    def add(service_code, key_question, rating: dict, inherited_date=None, inherited_link=None, inherited_from=None):
        rows.append(
            {
                "_row_number": ordinal,
                id_column: owner_id,
                "service_code": service_code,
                "service_name": areas.get(service_code) if service_code else None,
                "key_question": key_question,
                "rating": _text(rating.get("rating")),
                "report_date": _text(rating.get("reportDate")) or inherited_date,
                "report_link_id": _text(rating.get("reportLinkId")) or inherited_link,
                # Set when the rating was inherited from a predecessor registration (e.g. RW603).
                "rated_organisation_id": _text(rating.get("organisationId")) or inherited_from,
                "source_document": member,
            }
        )

    def add_with_key_questions(service_code, block: dict):
        date, link = _text(block.get("reportDate")), _text(block.get("reportLinkId"))
        # A service's key questions carry no date, link or predecessor of their own: the service's hold.
        inherited_from = _text(block.get("organisationId")) if service_code else None
        if block.get("rating") is not None:
            add(service_code, "Overall", block)
        for kq in block.get("keyQuestionRatings") or []:
            if isinstance(kq, dict):
                add(service_code, _text(kq.get("name")), kq, date, link, inherited_from)

    overall = current.get("overall")
    if isinstance(overall, dict):
        add_with_key_questions(None, overall)
    for service in current.get("serviceRatings") or []:
        if isinstance(service, dict):
            add_with_key_questions(_text(service.get("name")), service)
    return rows


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
