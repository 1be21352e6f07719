"""The 2016 (XLSX) and 2017 (legacy XLS) tables of HCHS staff with an EU or UK nationality: title
rows, a two-row merged header, region rows among organisations, '-' for zero."""

import pytest

from tests.support.constructed_files import write_xlsx
from dagster_project.ingest.errors import IngestError
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.workforce import NHS_STAFF_EU_UK_HEADCOUNT as SPEC

FOLDER = SAMPLES_DIR / "workforce" / "staff_by_group_nationality"
SEPT_2016 = FOLDER / "EU_and_UK_nationals_by_staff_group_and_organisation__September_2016.xlsx"
APRIL_2017 = FOLDER / "HCHS_staff_with_an_EU_or_UK_nationality__by_staff_group_and_organisation.xls"


def cell(frame, org, nationality, group):
    row = frame[(frame.org_code == org) & (frame.nationality_group == nationality) & (frame.staff_group == group)]
    assert len(row) == 1
    return row.iloc[0]


def test_september_2016_title_row_workbook():
    parsed = SPEC.parse(SEPT_2016)
    assert parsed.periods == ["2016-09-01"]
    orgs, totals = parsed.tables[""], parsed.tables["totals"]
    assert orgs.org_code.nunique() == 435
    chesterfield = cell(orgs, "RFS", "EU", "HCHS doctors")
    assert chesterfield.headcount == 21 and chesterfield.hee_region_name == "Health Education East Midlands"
    assert cell(orgs, "RFS", "UK", "All staff").headcount == 3565
    england = totals[totals.area_level == "england"]
    assert (
        dict(zip(england.nationality_group + " " + england.staff_group, england.headcount, strict=True))["EU All staff"] == 59796
    )
    assert totals[totals.area_level == "region"].hee_region_name.nunique() == 13


def test_april_2017_legacy_xls_with_region_codes():
    parsed = SPEC.parse(APRIL_2017)
    assert parsed.periods == ["2017-04-01"]
    orgs = parsed.tables[""]
    assert orgs.org_code.nunique() == 429
    chesterfield = cell(orgs, "RFS", "EU", "All staff")
    assert (chesterfield.headcount, chesterfield.hee_region_code) == (98, "YDF21")


def layout(rows):
    return [
        [
            "NHS HCHS staff with an EU nationality or UK nationality, by staff group and organisation, as at 30 September 2016, headcount"
        ],
        [None],
        [None, None, None, "EU", None, None, None, "UK", None, None, None],
        [
            None,
            None,
            None,
            "All staff",
            "HCHS doctors",
            "Nurses & health visitors",
            "Other staff",
            "All staff",
            "HCHS doctors",
            "Nurses & health visitors",
            "Other staff",
        ],
        ["England", None, None, 10, 2, 3, 5, 100, 20, 30, 50],
        ["Health Education Somewhere", None, None, 10, 2, 3, 5, 100, 20, 30, 50],
        *rows,
        ["Notes: '-' denotes zero."],
    ]


def test_a_dash_is_zero_as_the_notes_say(tmp_path):
    # Constructed in the 2016 layout: one organisation with '-' cells.
    path = write_xlsx(
        tmp_path / "constructed.xlsx", {"final": layout([[None, "Some Trust", "RZZ", 10, 2, 3, 5, 100, 20, "-", 80]])}
    )
    orgs = SPEC.parse(path).tables[""]
    assert cell(orgs, "RZZ", "UK", "Nurses & health visitors").headcount == 0


def test_a_fractional_headcount_is_an_error(tmp_path):
    path = write_xlsx(
        tmp_path / "constructed.xlsx", {"final": layout([[None, "Some Trust", "RZZ", 10.5, 2, 3, 5, 100, 20, 30, 50]])}
    )
    with pytest.raises(IngestError, match="not a whole number of people") as error:
        SPEC.parse(path)
    assert error.value.row == 7 and error.value.column == "EU All staff"
