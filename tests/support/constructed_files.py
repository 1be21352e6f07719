"""Write small workbooks for tests, in the layouts publishers use, without a spreadsheet library.

The project reads workbooks with python-calamine and has no writer; an .xlsx is a zip of a few XML
parts, so tests build the ones they need here: strings as inline strings, numbers as numbers,
None as an empty cell. Files made here are constructed, never a publisher's bytes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import escape

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
{sheets}
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets>{sheets}</sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"""
_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"""


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def _sheet_xml(rows: Iterable[Iterable[Any]]) -> str:
    out = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{_column(c)}{r}", v) for c, v in enumerate(row))
        out.append(f'<row r="{r}">{cells}</row>')
    return _SHEET.format(rows="".join(out))


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write `sheets` ({name: rows}) as an .xlsx workbook at `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(
                    f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                    for i in range(1, len(names) + 1)
                )
            ),
        )
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
            ),
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(
                rels="".join(
                    f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, len(names) + 1)
                )
            ),
        )
        for i, name in enumerate(names, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(sheets[name]))
    return path


# ---------------------------------------------------------------------------------------------
# Constructed files in publishers' layouts, for publications with no real file bundled. The
# numbers are made up; the shape (title rows, header spellings, symbols) follows the publisher.

SACE_TITLE = "Personal Social Services Survey of Adult Carers in England, 2021-22: measures by council"
SACE_HEADER = [
    "ONS code",
    "Council",
    "Region",
    "1D: Carer-reported quality of life score",
    "1I2: Carers who have as much social contact as they would like",
    "3B: Overall satisfaction of carers with social services",
    "3C",
    "3D2",
    "I have as much control over my daily life as I want",
    "I'm able to spend my time as I want, doing things I value or enjoy",
    "Caring has caused financial difficulties",
    "Support to have a break from caring for between 1 and 24 hours",
    "Support to have a break from caring for more than 24 hours",
    "Support to have a break from caring at short notice or in an emergency",
]
SACE_ROWS = [
    ["E92000001", "England", None, 7.3, 28.0, 36.3, 62.1, 57.7, 22.1, 16.4, 42.8, 20.2, 13.1, 10.9],
    ["E12000001", "North East", None, 7.6, 31.0, 41.0, 66.0, 62.0, 25.0, 18.0, 39.0, 22.0, 14.0, 12.0],
    ["E06000001", "Hartlepool", "North East", 7.9, 33.3, 45.1, "[c]", 63.2, 26.0, 19.1, 38.0, 24.4, 15.0, 11.9],
    ["E06000002", "Middlesbrough", "North East", "[x]", "[x]", "[x]", "[x]", "[x]", "[x]", "[x]", "[x]", "[x]", "[x]", "[x]"],
    ["E09000012", "Hackney", "London", 6.8, 24.5, 30.2, 55.0, 51.7, 17.9, 12.0, 50.3, 15.5, 9.0, 8.1],
]


def sace_workbook(path: Path, rows: list[list[Any]] | None = None, title: str = SACE_TITLE) -> Path:
    """A constructed SACE council table: contents sheet, then the table under title and notes rows."""
    return write_xlsx(
        path,
        {
            "Contents": [["Survey of Adult Carers in England 2021-22"], ["Table 1", "Measures by council"]],
            "Table 1": [
                [title],
                ["[c] confidential: suppressed to protect respondents. [x] not available: the council did not take part."],
                [None],
                SACE_HEADER,
                *(rows if rows is not None else SACE_ROWS),
                [None],
                ["Source: constructed for a test, in the layout of NHS England's Survey of Adult Carers in England tables"],
            ],
        },
    )


VACANCY_HEADER = [
    "PERIOD",
    "NHSE_REGION_CODE",
    "NHSE_REGION_NAME",
    "STAFF_GROUP",
    "VACANCY_FTE",
    "PLANNED_WORKFORCE_FTE",
    "VACANCY_RATE",
]
REGIONS = [
    ("Y56", "London"),
    ("Y58", "South West"),
    ("Y59", "South East"),
    ("Y60", "Midlands"),
    ("Y61", "East of England"),
    ("Y62", "North West"),
    ("Y63", "North East and Yorkshire"),
]


def vacancies_rows(period: str = "2022-23 Q1") -> list[list[Any]]:
    """Made-up regional vacancies for two staff groups, with England rows that add up."""
    rows = []
    for group, base in (("Registered nursing", 4000.0), ("Medical", 700.0)):
        total_vacancies = total_planned = 0.0
        for i, (code, name) in enumerate(REGIONS):
            vacancies, planned = base + 100 * i, (base + 100 * i) * 9
            total_vacancies, total_planned = total_vacancies + vacancies, total_planned + planned
            rows.append([period, code, name, group, vacancies, planned, round(100 * vacancies / planned, 1)])
        rows.append(
            [
                period,
                "E92000001",
                "England",
                group,
                total_vacancies,
                total_planned,
                round(100 * total_vacancies / total_planned, 1),
            ]
        )
    return rows


def vacancies_csv(path: Path, rows: list[list[Any]] | None = None) -> Path:
    """A constructed NHS Vacancy Statistics CSV (region x staff group, England rows included)."""
    import csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VACANCY_HEADER)
        writer.writerows(rows if rows is not None else vacancies_rows())
    return path


STAFF_SURVEY_ORGS = [
    ("RX1", "Nottingham University Hospitals NHS Trust", "Acute and Acute & Community Trusts", 6012),
    ("RXG", "South West Yorkshire Partnership NHS Foundation Trust", "Mental Health & Learning Disability Trusts", 1864),
    ("RY6", "Leeds Community Healthcare NHS Trust", "Community Trusts", 9),
]


def staff_survey_workbook(path: Path, year: int, questions: list[str], values: dict[str, list[Any]] | None = None) -> Path:
    """A constructed NHS Staff Survey organisation-level results sheet: one column per question
    number as that year's questionnaire prints it; `*` where fewer than 11 staff responded."""
    values = values or {q: [63.1 + i, 58.4 - i, "*"] for i, q in enumerate(questions)}
    rows = [
        [f"NHS Staff Survey {year}: organisation-level results (% of staff answering positively)"],
        ["Results from fewer than 11 respondents are suppressed (*)."],
        ["Org code", "Organisation name", "Benchmarking group", "Responses", *questions],
    ]
    for i, (code, name, group, responses) in enumerate(STAFF_SURVEY_ORGS):
        rows.append([code, name, group, responses, *[values[q][i] for q in questions]])
    return write_xlsx(path, {f"NSS{str(year)[-2:]} results": rows})


# The North East's twelve councils as they stood in 2023-24 (ons_local_authorities seed), with
# made-up values chosen so the published-total checks have something to decide: the region's 1D
# lies inside its councils' range, its 3B one rounding unit below the lowest council, and one
# council's 3C is suppressed. London is printed without its councils.
SACE_NORTH_EAST_HEADER = ["ONS code", "Council", "Region", "1D", "3B", "3C"]
SACE_NORTH_EAST_ROWS = [
    ["E92000001", "England", None, 7.5, 38.0, 64.0],
    ["E12000001", "North East", None, 7.6, 34.9, 66.0],
    ["E12000007", "London", None, 7.1, 33.0, 60.0],
    ["E06000001", "Hartlepool", "North East", 7.2, 35.0, 61.0],
    ["E06000002", "Middlesbrough", "North East", 7.3, 36.0, 62.0],
    ["E06000003", "Redcar and Cleveland", "North East", 7.4, 37.0, 63.0],
    ["E06000004", "Stockton-on-Tees", "North East", 7.5, 38.0, 64.0],
    ["E06000005", "Darlington", "North East", 7.6, 39.0, 65.0],
    ["E06000047", "County Durham", "North East", 7.7, 40.0, 66.0],
    ["E06000057", "Northumberland", "North East", 7.8, 41.0, 67.0],
    ["E08000021", "Newcastle upon Tyne", "North East", 7.9, 42.0, 68.0],
    ["E08000022", "North Tyneside", "North East", 8.0, 43.0, 69.0],
    ["E08000023", "South Tyneside", "North East", 7.6, 44.0, 70.0],
    ["E08000024", "Sunderland", "North East", 7.7, 45.0, "[c]"],
    ["E08000037", "Gateshead", "North East", 7.8, 40.0, 66.0],
]


def sace_north_east_workbook(path: Path, year: str = "2023-24") -> Path:
    """A CONSTRUCTED SACE council table for one whole region (the North East), in the layout the
    parser reads (unverified against a real file): England and two regional rows, then councils."""
    return write_xlsx(
        path,
        {
            "Table 1": [
                [f"Personal Social Services Survey of Adult Carers in England, {year}: measures by council"],
                ["Constructed for a test in the documented layout; made-up values."],
                SACE_NORTH_EAST_HEADER,
                *SACE_NORTH_EAST_ROWS,
            ]
        },
    )
