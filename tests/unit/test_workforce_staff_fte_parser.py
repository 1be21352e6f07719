"""HCHS staff FTE in its two published layouts: the 2017-2018 nationality workbook's tidy Data
sheet (read with python-calamine) and the NHS Workforce Statistics Core 1 CSV."""

import pytest

from tests.support.constructed_files import write_xlsx
from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.intake import detect_source
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources import SOURCES
from dagster_project.sources.workforce import NHS_DOCTORS_BY_SPECIALTY, NHS_STAFF_FTE as SPEC

WORKBOOK = (
    SAMPLES_DIR
    / "workforce"
    / "staff_by_group_nationality"
    / "hchs-staff-by-staff-group-nationality-and-organisation-september-2017-and-june-2018_ah2324.xlsx"
)
CORE1 = SAMPLES_DIR / "workforce" / "workforce_statistics_excerpt" / "Workforce-Core1-RX1.excerpt.csv"
CORE3 = SAMPLES_DIR / "workforce" / "workforce_statistics_excerpt" / "Workforce-Core3-RX1.excerpt.csv"


@pytest.fixture(scope="module")
def workbook():
    return SPEC.parse(WORKBOOK)


def test_the_data_sheet_holds_two_months_of_fte_by_nationality(workbook):
    assert workbook.periods == ["2017-09-01", "2018-06-01"]
    rows = workbook.tables[""]
    assert len(rows) == 81603
    assert set(rows.layout) == {"nationality_data_sheet"}
    # England's HCHS FTE in September 2017, every nationality and staff group: about 1.05 million.
    assert round(rows[rows._period == "2017-09-01"].fte.sum()) == 1052963
    assert workbook.tables["totals"].empty  # the sheet has no subtotal rows


def test_core1_subtotals_are_kept_apart_so_fte_is_counted_once():
    parsed = SPEC.parse(CORE1)
    assert parsed.periods == ["2009-09-01", "2010-09-01"]
    leaves, totals = parsed.tables[""], parsed.tables["totals"]
    september_2009 = leaves[leaves._period == "2009-09-01"]
    grand = totals[(totals._period == "2009-09-01") & (totals.main_staff_group == "All staff groups")].fte.iloc[0]
    assert grand == 10389.24098
    assert september_2009.fte.sum() == pytest.approx(grand, abs=0.001)
    assert "HCHS doctors - All grades" in set(totals.staff_group)
    assert not set(leaves.staff_group) & {"All staff groups", "HCHS doctors - All grades"}
    assert len(totals) == 10 and len(leaves) == 41


def test_core3_is_a_different_table_not_staff_fte():
    assert detect_source(CORE1, SOURCES.values()) is SPEC
    assert detect_source(CORE3, SOURCES.values()) is NHS_DOCTORS_BY_SPECIALTY


def test_a_negative_fte_reads_as_negative_for_the_gate_to_reject(copy_of):
    # Parsing keeps what the publisher wrote; the expectation suite (fte >= 0) rejects the file.
    path = copy_of(CORE1)
    path.write_text(path.read_text().replace(",Midwives,199.3277,", ",Midwives,-199.3277,"))
    rows = SPEC.parse(path).tables[""]
    assert rows[rows.staff_group == "Midwives"].fte.min() == -199.3277


def test_a_suppression_marker_in_fte_is_an_error(copy_of):
    path = copy_of(CORE1)
    path.write_text(path.read_text().replace(",Midwives,199.3277,", ",Midwives,*,"))
    with pytest.raises(IngestError) as error:
        SPEC.parse(path)
    assert error.value.column == "fte" and error.value.row == 14


def test_a_workbook_without_a_data_sheet_is_not_this_publication(tmp_path):
    path = write_xlsx(tmp_path / "other.xlsx", {"Sheet1": [["Month", "Organisation code"], ["2017-SEP", "RX1"]]})
    assert not SPEC.matches(path)
    with pytest.raises(IngestError, match="not an HCHS staff FTE file"):
        SPEC.parse(path)
