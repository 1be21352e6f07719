"""NHS Vacancy Statistics by region and staff group, read from a CSV CONSTRUCTED for this test in
the published layout (no real file is bundled): a quarter, NHS England region, staff group,
vacancy FTE, planned workforce FTE and rate, with England rows."""

import pytest

from tests.support.constructed_files import vacancies_csv, vacancies_rows
from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.intake import detect_source
from dagster_project.sources import SOURCES
from dagster_project.sources.workforce import NHS_VACANCIES as SPEC


def test_a_quarter_is_the_partition_of_the_month_it_ends(tmp_path):
    parsed = SPEC.parse(vacancies_csv(tmp_path / "vacancies.csv"))
    assert detect_source(tmp_path / "vacancies.csv", SOURCES.values()) is SPEC
    assert parsed.periods == ["2022-06-01"]
    assert len(parsed.tables[""]) == 14
    england = parsed.tables["totals"]
    assert set(england.region_name) == {"England"} and len(england) == 2


def test_suppressed_vacancies_are_missing_not_zero(tmp_path):
    rows = vacancies_rows()
    rows[0][4] = "*"
    rows[1][6] = "[c]"
    parsed = SPEC.parse(vacancies_csv(tmp_path / "vacancies.csv", rows)).tables[""]
    assert parsed.vacancy_fte.isna().sum() == 1 and parsed.vacancy_rate_percent.isna().sum() == 1


def test_words_in_a_rate_are_an_error(tmp_path):
    rows = vacancies_rows()
    rows[2][6] = "high"
    with pytest.raises(IngestError) as error:
        SPEC.parse(vacancies_csv(tmp_path / "vacancies.csv", rows))
    assert (error.value.row, error.value.column) == (4, "vacancy_rate_percent")
