"""NHS Digital's monthly sickness absence CSV, organisation level."""

import pytest

from dagster_project.ingest.errors import IngestError
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.workforce import NHS_SICKNESS_ABSENCE_MONTHLY as SPEC

FOLDER = SAMPLES_DIR / "workforce" / "sickness_absence_monthly"
APRIL_2024 = FOLDER / "nhs_sickness_absence_2024-04.csv"


def test_every_month_file_is_one_partition_of_every_organisation():
    for path in sorted(FOLDER.glob("*.csv")):
        parsed = SPEC.parse(path)
        assert parsed.periods == [f"{path.stem[-7:]}-01"]
        assert 280 <= parsed.row_count <= 285


def test_april_2024_has_trusts_icbs_and_support_units():
    rows = SPEC.parse(APRIL_2024).tables[""]
    types = set(rows.org_type)
    assert {"Acute", "Integrated Care Board", "Commissioning Support Unit", "Ambulance"} <= types
    csu = rows[rows.org_code == "0AR"].iloc[0]
    assert csu.org_name == "NHS North of England Commissioning Support Unit"
    assert (csu.fte_days_lost, csu.fte_days_available, csu.sickness_absence_rate_percent) == (1868.54684, 52881.10823, 3.53)
    assert str(csu.month_end) == "2024-04-30"


def test_a_suppression_marker_in_days_lost_is_an_error_naming_row_and_column(copy_of):
    # The publisher writes a number for every organisation; a symbol means a damaged file.
    path = copy_of(APRIL_2024)
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace(",1439.52676,", ",*,")
    path.write_text("".join(lines))
    with pytest.raises(IngestError) as error:
        SPEC.parse(path)
    assert (error.value.row, error.value.column, error.value.reason) == (3, "fte_days_lost", "bad_value")


def test_a_file_missing_the_rate_column_says_which_column(copy_of):
    path = copy_of(APRIL_2024)
    path.write_text(path.read_text().replace("SICKNESS_ABSENCE_RATE_PERCENT", "RATE"))
    with pytest.raises(IngestError, match="required column 'sickness_absence_rate_percent'"):
        SPEC.parse(path)
