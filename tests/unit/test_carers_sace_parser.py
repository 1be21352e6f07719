"""The Survey of Adult Carers in England tables by council, read from a file CONSTRUCTED for this
test in the publisher's documented layout (no real file is bundled): title rows with the survey
year, a header of council code, name, region and measures, England and regional rows, and the
publisher's symbols [c] (suppressed), [x] (not available) and, in older tables, c, : and blank."""

import pandas as pd
import pytest

from tests.support.constructed_files import SACE_HEADER, SACE_ROWS, sace_workbook
from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.intake import detect_source
from dagster_project.sources import SOURCES
from dagster_project.sources.carers import SACE_COUNCIL_TABLES as SPEC


@pytest.fixture
def workbook(tmp_path):
    return sace_workbook(tmp_path / "constructed-sace-2021-22.xlsx")


def value(frame, la_code, measure):
    row = frame[(frame.la_code == la_code) & (frame.measure_code == measure)]
    assert len(row) == 1, row
    return row.iloc[0]


def test_the_constructed_table_is_recognised_by_content(workbook):
    assert detect_source(workbook, SOURCES.values()) is SPEC


def test_councils_become_one_row_per_measure_for_the_year_in_the_title(workbook):
    parsed = SPEC.parse(workbook)
    assert parsed.periods == ["2021-22"]
    councils = parsed.tables[""]
    assert sorted(councils.la_code.unique()) == ["E06000001", "E06000002", "E09000012"]
    assert len(councils) == 3 * 11
    assert value(councils, "E09000012", "1D").value == 6.8
    assert value(councils, "E06000001", "control_over_daily_life").value == 26.0
    assert value(councils, "E06000001", "3B").measure_label == "3B: Overall satisfaction of carers with social services"


def test_england_and_regions_are_kept_apart_from_councils(workbook):
    totals = SPEC.parse(workbook).tables["totals"]
    assert sorted(totals.la_code.unique()) == ["E12000001", "E92000001"]
    assert value(totals, "E92000001", "3B").value == 36.3


def test_symbols_are_missing_values_that_say_why(workbook):
    councils = SPEC.parse(workbook).tables[""]
    suppressed = value(councils, "E06000001", "3C")
    assert pd.isna(suppressed.value) and suppressed.value_status == "suppressed"
    assert suppressed.value_marker == "[c]"
    absent = value(councils, "E06000002", "1D")
    assert pd.isna(absent.value) and absent.value_status == "not_available" and absent.value_marker == "[x]"


@pytest.mark.parametrize("symbol, status", [("c", "suppressed"), (":", "not_available"), (None, "not_available")])
def test_older_tables_symbols_mean_the_same(tmp_path, symbol, status):
    rows = [list(r) for r in SACE_ROWS]
    rows[2][3] = symbol
    councils = SPEC.parse(sace_workbook(tmp_path / "older.xlsx", rows)).tables[""]
    assert value(councils, "E06000001", "1D").value_status == status


def test_the_same_table_as_csv_reads_the_same(tmp_path, workbook):
    import csv

    path = tmp_path / "sace.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Survey of Adult Carers in England 2021-22"])
        writer.writerow(SACE_HEADER)
        writer.writerows([[("" if c is None else c) for c in r] for r in SACE_ROWS])
    from_csv = SPEC.parse(path).tables[""]
    from_xlsx = SPEC.parse(workbook).tables[""]
    assert from_csv[["la_code", "measure_code", "value_status"]].equals(from_xlsx[["la_code", "measure_code", "value_status"]])


def test_a_word_in_a_measure_cell_is_an_error_naming_row_and_measure(tmp_path):
    rows = [list(r) for r in SACE_ROWS]
    rows[4][7] = "fifty"
    with pytest.raises(IngestError) as error:
        SPEC.parse(sace_workbook(tmp_path / "bad.xlsx", rows))
    assert error.value.column == "3D2" and error.value.row == 9
    assert "'fifty' is neither a number nor one of the publisher's symbols" in str(error.value)


def test_a_table_without_a_year_in_its_title_is_rejected(tmp_path):
    with pytest.raises(IngestError, match="no survey year"):
        SPEC.parse(sace_workbook(tmp_path / "undated.xlsx", title="Survey of Adult Carers: measures by council"))


def test_a_measure_column_the_parser_does_not_know_is_named_in_a_warning(tmp_path):
    from tests.support.constructed_files import write_xlsx

    path = write_xlsx(
        tmp_path / "new-measure.xlsx",
        {
            "Table 1": [
                ["Survey of Adult Carers in England, 2023-24"],
                ["ONS code", "Council", "1D", "Carers who feel safe"],
                ["E06000001", "Hartlepool", 7.7, 80.0],
            ]
        },
    )
    parsed = SPEC.parse(path)
    assert set(parsed.tables[""].measure_code) == {"1D"}
    assert parsed.warnings == [
        "new-measure.xlsx: table 'Table 1' column 'Carers who feel safe' is not a measure this parser knows; ignored"
    ]


def test_a_measure_added_to_the_cited_seed_is_read_from_its_header(tmp_path):
    # The sace_measures seed is the one home of the header wordings: its 1D domains, absent from the
    # constructed table above, are recognised without a change to the parser.
    from tests.support.constructed_files import write_xlsx

    path = write_xlsx(
        tmp_path / "domains.xlsx",
        {
            "Table 1": [
                ["Survey of Adult Carers in England, 2023-24"],
                ["ONS code", "Council", "I feel I have encouragement and support", "I have no worries about my personal safety"],
                ["E06000001", "Hartlepool", 41.5, "[c]"],
            ]
        },
    )
    councils = SPEC.parse(path).tables[""]
    assert set(councils.measure_code) == {"encouragement_and_support", "no_worries_about_safety"}
    assert value(councils, "E06000001", "encouragement_and_support").value == 41.5
