"""Read the NHS Staff Survey's organisation-level question results (one row per trust).

The layout, as the survey's organisation-level results tables are published (a workbook sheet or a
CSV): title rows naming the survey year ("NHS Staff Survey 2022 ..."), then a header row with the
organisation's code and name, optionally its benchmarking group and the number of responses, then
one column per question, headed by the question number as the questionnaire prints it (`q23d`,
`Q25d`), holding the percentage of staff answering positively. Results from fewer than 11
respondents are suppressed and shown as `*` (or `[c]`).

Question numbers change when the questionnaire changes: "If a friend or relative needed treatment
I would be happy with the standard of care provided by this organisation" is q23d in 2022 and q25d
from 2023. The raw table keeps the number as published with the survey year; the dbt seed
`staff_survey_questions.csv` maps (year, number) to a stable measure name in staging.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.columns import Column, normalise_header
from dagster_project.ingest.spec import SourceSpec
from dagster_project.ingest.tabular import (
    HEADER_SCAN_ROWS,
    PANDAS_DTYPES,
    ParsedFile,
    read_all_sheets,
    to_integer,
    to_number,
    to_text,
)

QUESTION = re.compile(r"q(\d{1,2})([a-z]?)", re.IGNORECASE)
SUPPRESSED = {"*", "[c]", "c"}
CODE_SPELLINGS = {normalise_header(s) for s in ("Org code", "Organisation code", "Trust code", "Org ID", "ORG_CODE")}
NAME_SPELLINGS = {normalise_header(s) for s in ("Organisation name", "Org name", "Trust name", "Organisation", "ORG_NAME")}
GROUP_SPELLINGS = {normalise_header(s) for s in ("Benchmarking group", "Benchmark group", "Organisation type")}
RESPONSE_SPELLINGS = {
    normalise_header(s) for s in ("Responses", "Number of responses", "Respondents", "Completed questionnaires")
}

COLUMNS = (
    Column("survey_year", "integer", description="Year the survey ran (autumn), from the title, e.g. 2022"),
    Column("org_code", "text", description="ODS code of the organisation"),
    Column("org_name", "text"),
    Column("benchmark_group", "text", required=False),
    Column("responses", "integer", required=False, description="Completed questionnaires at the organisation"),
    Column("question_code", "text", description="Question number as that year's questionnaire prints it, lower case (q23d)"),
    Column("value", "number", required=False, description="Percentage of staff answering positively; NULL when suppressed"),
    Column("value_marker", "text", required=False, description="The publisher's symbol where the value is suppressed (*)"),
)


def survey_period(year: int) -> str:
    """The survey runs in the autumn: the 2022 survey belongs to financial year 2022-23."""
    return f"{year}-{str(year + 1)[-2:]}"


def _header(rows: list[tuple[int, list[Any]]]):
    for index, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        texts = [normalise_header(to_text(c)) if c is not None else "" for c in cells]
        code = next((i for i, t in enumerate(texts) if t in CODE_SPELLINGS), None)
        name = next((i for i, t in enumerate(texts) if t in NAME_SPELLINGS), None)
        questions = {i: t for i, t in enumerate(texts) if QUESTION.fullmatch(t)}
        if code is not None and name is not None and questions:
            group = next((i for i, t in enumerate(texts) if t in GROUP_SPELLINGS), None)
            responses = next((i for i, t in enumerate(texts) if t in RESPONSE_SPELLINGS), None)
            return index, code, name, group, responses, questions
    return None


def _survey_year(rows: list[tuple[int, list[Any]]], header_index: int, sheet: str) -> int | None:
    texts = [to_text(c) for _, cells in rows[:header_index] for c in cells if isinstance(c, str)] + [sheet]
    for text in texts:
        if match := re.search(r"staff survey\D{0,3}(20\d\d)", text, re.IGNORECASE):
            return int(match.group(1))
    for text in texts:
        if match := re.search(r"(?<!\d)(20\d\d)(?!\d)", text):
            return int(match.group(1))
    return None


def _cell(cells: list[Any], i: int | None) -> Any:
    return cells[i] if i is not None and i < len(cells) else None


def parse(path: Path, spec: SourceSpec) -> ParsedFile:
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError("file is empty (0 bytes)", file=path, reason="empty")
    records: list[dict] = []
    for sheet, rows in read_all_sheets(path):
        found = _header(rows)
        if found is None:
            continue
        index, code_i, name_i, group_i, responses_i, questions = found
        year = _survey_year(rows, index, sheet)
        if year is None:
            raise IngestError(
                "no survey year (e.g. NHS Staff Survey 2022) in the title rows",
                file=path,
                row=rows[index][0],
                reason="bad_period",
            )
        for row_number, cells in rows[index + 1 :]:
            code = to_text(_cell(cells, code_i) or "").strip().upper()
            if not code:
                if all(_cell(cells, i) is None for i in questions):
                    continue  # footnotes
                raise IngestError(
                    "row has results but no organisation code", file=path, row=row_number, column="org_code", reason="bad_value"
                )
            responses = _cell(cells, responses_i)
            try:
                responses = None if responses in (None, "") else to_integer(responses)
            except ValueError:
                raise IngestError(
                    f"responses {responses!r} is not a whole number",
                    file=path,
                    row=row_number,
                    column="responses",
                    reason="bad_value",
                ) from None
            base = {
                "_row_number": row_number,
                "_period": survey_period(year),
                "survey_year": year,
                "org_code": code,
                "org_name": to_text(_cell(cells, name_i) or "").strip() or None,
                "benchmark_group": to_text(_cell(cells, group_i)).strip() if _cell(cells, group_i) is not None else None,
                "responses": responses,
            }
            for i, question in questions.items():
                cell = _cell(cells, i)
                text = to_text(cell).strip() if cell is not None else ""
                if text.casefold() in SUPPRESSED:
                    value, marker = None, text
                elif not text:
                    value, marker = None, None
                else:
                    try:
                        value, marker = (float(cell) if isinstance(cell, (int, float)) else to_number(text)), None
                    except ValueError:
                        raise IngestError(
                            f"value {text!r} is neither a percentage nor the suppression symbol *",
                            file=path,
                            row=row_number,
                            column=question,
                            reason="bad_value",
                        ) from None
                records.append(base | {"question_code": question.lower(), "value": value, "value_marker": marker})
    if not records:
        raise IngestError(
            "no sheet has an organisation code, name and question columns (q23d ...)", file=path, reason="unrecognised"
        )
    names = ["_row_number", "_period", *[c.name for c in COLUMNS]]
    dtypes = {"_row_number": "Int64", "_period": "string"} | {c.name: PANDAS_DTYPES[c.kind] for c in COLUMNS}
    return ParsedFile(spec.key, path, {"": pd.DataFrame.from_records(records, columns=names).astype(dtypes)})


def looks_like_staff_survey(path: Path) -> bool:
    if Path(path).suffix.lower() not in (".xlsx", ".ods", ".xls", ".csv"):
        return False
    try:
        return any(_header(rows) is not None for _, rows in read_all_sheets(Path(path)))
    except (IngestError, OSError, UnicodeDecodeError):
        return False
