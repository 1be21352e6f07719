"""NHS Staff Survey organisation-level results, read from workbooks CONSTRUCTED for this test in the
published layout (no real file is bundled): survey year in the title, one column per question
number as that year's questionnaire prints it, '*' where fewer than 11 staff responded. The
question numbers are kept as published; the staff_survey_questions seed maps q23d (2022) and q25d
(2023) to one measure in staging (tests/integration/test_workforce_constructed_sources.py)."""

import pandas as pd
import pytest

from tests.support.constructed_files import staff_survey_workbook
from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.intake import detect_source
from dagster_project.sources import SOURCES
from dagster_project.sources.workforce import NHS_STAFF_SURVEY as SPEC


def test_2022_results_keep_question_numbers_as_published(tmp_path):
    path = staff_survey_workbook(tmp_path / "nss22.xlsx", 2022, ["q23c", "q23d"])
    assert detect_source(path, SOURCES.values()) is SPEC
    parsed = SPEC.parse(path)
    assert parsed.periods == ["2022-23"]
    rows = parsed.tables[""]
    assert set(rows.question_code) == {"q23c", "q23d"}
    rx1 = rows[(rows.org_code == "RX1") & (rows.question_code == "q23d")].iloc[0]
    assert (rx1.survey_year, rx1.value, rx1.responses) == (2022, 64.1, 6012)


def test_2023_numbers_are_read_the_same_way(tmp_path):
    rows = SPEC.parse(staff_survey_workbook(tmp_path / "nss23.xlsx", 2023, ["Q25d"])).tables[""]
    assert set(rows.question_code) == {"q25d"} and set(rows.survey_year) == {2023}


def test_suppressed_results_are_missing_with_the_symbol_kept(tmp_path):
    rows = SPEC.parse(staff_survey_workbook(tmp_path / "nss22.xlsx", 2022, ["q23d"])).tables[""]
    small = rows[rows.org_code == "RY6"].iloc[0]
    assert pd.isna(small.value) and small.value_marker == "*"


def test_a_word_in_a_result_is_an_error_naming_row_and_question(tmp_path):
    path = staff_survey_workbook(tmp_path / "nss22.xlsx", 2022, ["q23d"], {"q23d": [63.0, "n/a?", "*"]})
    with pytest.raises(IngestError) as error:
        SPEC.parse(path)
    assert (error.value.row, error.value.column) == (5, "q23d")
