"""Damaged copies of a real A&E file: each is rejected with a message naming the file, row or column."""

from __future__ import annotations

import pytest

from dagster_project.ingest.errors import IngestError
from dagster_project.sources.uec import UEC_AE_MONTHLY
from tests.conftest import SHARED_DIR, uec_sample


def _lines(path):
    return path.read_text(encoding="utf-8-sig").splitlines()


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _parse_error(path) -> IngestError:
    with pytest.raises(IngestError) as err:
        UEC_AE_MONTHLY.parse(path)
    assert path.name in str(err.value), "the message names the file"
    return err.value


def test_truncated_mid_row(copy_of):
    path = copy_of(uec_sample("June-2023"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut in the middle of a provider row
    error = _parse_error(path)
    assert error.reason == "short_row"
    assert error.row is not None and 50 < error.row < 150


def test_missing_required_column(copy_of):
    path = copy_of(uec_sample("June-2023"))
    lines = _lines(path)
    lines[0] = lines[0].replace("Patients who have waited 12+ hrs from DTA to admission", "Patients who waited a long time")
    _write(path, lines)
    error = _parse_error(path)
    assert error.reason == "missing_column"
    assert error.column == "dta_waits_over_12h"
    assert "12+ hrs" in error.message  # says which spellings it looked for
    # Still recognised as an A&E file by content, so ingest reports the missing column.
    assert 0.5 < UEC_AE_MONTHLY.match_score(path) < 1


def test_non_numeric_count(copy_of):
    path = copy_of(uec_sample("June-2023"))
    lines = _lines(path)
    cells = lines[5].split(",")
    cells[17] = "12O"  # letter O typed for a zero
    lines[5] = ",".join(cells)
    _write(path, lines)
    error = _parse_error(path)
    assert error.reason == "bad_value"
    assert error.row == 6
    assert error.column == "dta_waits_over_12h"
    assert "'12O'" in error.message


def test_empty_file(copy_of, tmp_path):
    path = tmp_path / "June-2023-empty.csv"
    path.write_bytes(b"")
    assert _parse_error(path).reason == "empty"


def test_header_only(copy_of):
    path = copy_of(uec_sample("June-2023"))
    _write(path, _lines(path)[:1])
    assert _parse_error(path).reason == "no_data"


def test_file_of_another_publication(copy_of):
    path = copy_of(SHARED_DIR / "data" / "reference" / "lookups" / "nhse_system_mapping_2025-26.csv")
    error = _parse_error(path)
    assert error.reason == "unrecognised"
    assert "A&E Attendances" in error.message
    assert not UEC_AE_MONTHLY.matches(path)


def test_html_error_page_saved_as_csv(tmp_path):
    path = tmp_path / "June-2023.csv"
    path.write_text("<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>busy</body></html>")
    assert _parse_error(path).reason == "html_not_data"


def test_a_row_with_more_values_than_the_header(copy_of):
    path = copy_of(uec_sample("June-2023"))
    lines = _lines(path)
    lines[7] = lines[7] + ",999"
    _write(path, lines)
    error = _parse_error(path)
    assert error.reason == "long_row" and error.row == 8


def test_windows_1252_text_is_read_with_a_warning(copy_of):
    path = copy_of(uec_sample("June-2023"))
    lines = _lines(path)
    cells = lines[3].split(",")
    cells[3] = cells[3] + " £"
    lines[3] = ",".join(cells)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    parsed = UEC_AE_MONTHLY.parse(path)
    assert any("Windows-1252" in w for w in parsed.warnings)
    assert parsed.tables[""]["org_name"].str.endswith("£").sum() == 1
