"""The AmbSYS parser over NHS England's real time series: every month from one file, `.` as
missing, Year and Month read as the partition, and the sample owned by this source alone."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.intake import detect_source
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources import SOURCES
from dagster_project.sources.ambsys import UEC_AMBSYS_MONTHLY as AMBSYS, named_codes
from dagster_project.sources.uec import UEC_AE_MONTHLY

SAMPLE = SAMPLES_DIR / "uec" / "ambsys" / "AmbSYS-to-Apr-2026.csv"


@pytest.fixture(scope="module")
def parsed():
    return AMBSYS.parse(SAMPLE)


def test_one_file_fills_105_month_partitions_of_19_rows(parsed):
    assert parsed.periods[0] == "2017-08-01" and parsed.periods[-1] == "2026-04-01"
    assert len(parsed.periods) == 105 and parsed.row_count == 1995
    assert parsed.tables[""].groupby("_period").size().eq(19).all()
    assert parsed.warnings == []


def test_values_are_the_publishers_and_a_dot_is_missing_not_zero(parsed):
    june_2023 = parsed.for_period("2023-06-01")[""].set_index("org_code")
    assert (june_2023.loc["Eng", "a8"], june_2023.loc["Eng", "a25"], june_2023.loc["Eng", "a31"]) == (77093, 521, 2207)
    assert june_2023.loc["Y56", "region"] == "London" and june_2023.loc["RRU", "region"] == "Y56"
    # London Ambulance Service reported no response times in October 2022: '.' in the file.
    october_2022 = parsed.for_period("2022-10-01")[""].set_index("org_code")
    assert october_2022.loc["RRU", ["a8", "a25", "a26"]].isna().all()
    assert october_2022.loc["RRU", "a0"] == 192743


def test_every_cell_matches_the_csv_read_independently(parsed):
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    frame = parsed.tables[""]
    assert len(rows) == len(frame)
    for code in ("A8", "A24", "A25", "A26", "A38", "A148"):
        expected = [None if r[code] == "." else int(r[code]) for r in rows]
        got = [None if pd.isna(v) else int(v) for v in frame[code.lower()]]
        assert got == expected, code


def test_the_codes_the_marts_name_are_required_and_the_rest_are_not():
    required = {c.aliases[0] for c in AMBSYS.columns if c.name.startswith("a") and c.required}
    assert required == named_codes() and {"A8", "A25", "A26", "A31", "A32"} <= required
    assert not AMBSYS.column("a123").required  # no A123 in NHS England's file


def test_the_sample_belongs_to_ambsys_only():
    assert detect_source(SAMPLE, SOURCES.values()) is AMBSYS
    assert SAMPLE not in [p for g in UEC_AE_MONTHLY.sample_globs for p in SAMPLES_DIR.glob(g)]
    assert [p for g in AMBSYS.sample_globs for p in SAMPLES_DIR.glob(g)] == [SAMPLE]


def _copy_with(tmp_path, edit):
    lines = SAMPLE.read_bytes().decode().split("\r\n")
    lines = edit(lines)
    path = tmp_path / "AmbSYS-edited.csv"
    path.write_bytes("\r\n".join(lines).encode())
    return path


def test_a_month_outside_1_to_12_names_its_row_and_column(tmp_path):
    path = _copy_with(tmp_path, lambda lines: [lines[0], lines[1].replace("2017,8,", "2017,13,", 1), *lines[2:]])
    with pytest.raises(IngestError) as caught:
        AMBSYS.parse(path)
    assert (caught.value.row, caught.value.column, caught.value.reason) == (2, "month", "bad_period")


def test_a_file_without_a_named_code_is_refused_by_name(tmp_path):
    def drop_a25(lines):
        header = lines[0].split(",")
        i = header.index("A25")
        return [",".join(cells[:i] + cells[i + 1 :]) for cells in (line.split(",") for line in lines)]

    with pytest.raises(IngestError) as caught:
        AMBSYS.parse(_copy_with(tmp_path, drop_a25))
    assert caught.value.reason == "missing_column" and caught.value.column == "a25"


def test_the_publication_sensor_takes_the_time_series_link_and_nothing_else_on_the_page():
    from dagster_project.automation.pollers import links

    page = """<a href="/statistics/wp-content/uploads/sites/2/2026/05/AmbSYS-to-Apr-2026.csv">AmbSYS Time Series</a>
    <a href="/statistics/wp-content/uploads/sites/2/2026/07/AmbSYS-to-Jun-2026-b4Uah.csv">later, with a suffix</a>
    <a href="/statistics/wp-content/uploads/sites/2/2026/05/AmbCO-to-Jan-2026.csv">clinical outcomes</a>
    <a href="/statistics/wp-content/uploads/sites/2/2026/05/AmbSYS-specification.pdf">specification</a>
    <a href="/statistics/wp-content/uploads/sites/2/2024/07/Monthly-AE-June-2024.csv">A&E</a>"""
    found = links(page, AMBSYS.index_url, AMBSYS.link_pattern)
    assert [url.rsplit("/", 1)[1] for url in found] == ["AmbSYS-to-Apr-2026.csv", "AmbSYS-to-Jun-2026-b4Uah.csv"]


def test_a_month_is_due_three_weeks_after_it_ends():
    import datetime as dt

    from dagster_project.automation.freshness import expected_latest, is_late

    # NHS England publishes April 2026 on the second Thursday of May (14 May 2026).
    assert expected_latest(AMBSYS, dt.date(2026, 5, 21)) == "2026-04-01"
    assert expected_latest(AMBSYS, dt.date(2026, 5, 20)) == "2026-03-01"
    assert is_late(AMBSYS, "2026-03-01", dt.date(2026, 5, 22))[0]
