"""Oflog's adult social care metrics file: one CSV, every financial year, long format."""

import pytest

from dagster_project.ingest.errors import IngestError
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.carers import ASCOF_COUNCIL_MEASURES as SPEC

SAMPLE = SAMPLES_DIR / "carers" / "ascof_oflog" / "ASC_data.csv"


@pytest.fixture(scope="module")
def parsed():
    return SPEC.parse(SAMPLE)


def test_the_real_file_fills_eight_financial_years(parsed):
    assert parsed.periods == ["2015-16", "2016-17", "2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23"]
    assert parsed.row_count == 6376
    assert parsed.warnings == []


def test_hackney_had_no_carer_quality_of_life_in_2021_22_and_it_is_missing_not_zero(parsed):
    rows = parsed.for_period("2021-22")[""]
    hackney = rows[(rows.la_code == "E09000012") & (rows.measure == "Outcome, ASC Carer Quality of Life")]
    assert len(hackney) == 1
    assert hackney.value.isna().all()
    assert hackney.publisher_median.iloc[0] == 7.2


def test_bournemouth_and_poole_report_until_2018_19_then_bcp(parsed):
    councils = {period: set(parsed.for_period(period)[""].la_code) for period in parsed.periods}
    assert {"E06000028", "E06000029"} <= councils["2018-19"]
    assert not {"E06000028", "E06000029"} & councils["2019-20"]
    assert "E06000058" in councils["2019-20"]


def test_a_suppressed_marker_in_the_value_column_is_recorded_as_missing(copy_of):
    path = copy_of(SAMPLE)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            '2016-17,E06000005,Darlington,LA_Raw,Unitary Authorities,North East,"Outcome, ASC Carer Quality of Life",ASC1,7.6,',
            '2016-17,E06000005,Darlington,LA_Raw,Unitary Authorities,North East,"Outcome, ASC Carer Quality of Life",ASC1,[c],',
            1,
        ),
        encoding="utf-8",
    )
    rows = SPEC.parse(path).for_period("2016-17")[""]
    darlington = rows[(rows.la_code == "E06000005") & (rows.oflog_code == "ASC1")]
    assert darlington.value.isna().all()


def test_text_in_the_value_column_is_an_error_naming_row_and_column(copy_of):
    path = copy_of(SAMPLE)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",ASC1,7.6,", ",ASC1,seven,")
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(IngestError) as error:
        SPEC.parse(path)
    assert (error.value.row, error.value.column) == (2, "value")
    assert "'seven' is not a number" in str(error.value)


def test_a_file_without_oflogs_code_column_still_parses(copy_of, tmp_path):
    # Earlier copies of the file (the repository's data.js) have no Code column.
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name != "Code"]
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(lines[:50]):
        writer.writerow([row[i] for i in keep])
    path = tmp_path / "older.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    parsed = SPEC.parse(path)
    assert parsed.row_count == 49
    assert parsed.tables[""].oflog_code.isna().all()
