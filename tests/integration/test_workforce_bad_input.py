"""Bad workforce input as a user would meet it: a rate above 100 or a negative FTE is quarantined
with a message naming the broken promise, the month's last good data stays; a symbol where the
publisher always writes a number is rejected before landing, naming the row and column."""

from tests.support.gate_fixtures import Warehouse
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.workforce import NHS_SICKNESS_ABSENCE_MONTHLY as SICKNESS, NHS_STAFF_FTE as FTE

APRIL_2024 = SAMPLES_DIR / "workforce" / "sickness_absence_monthly" / "nhs_sickness_absence_2024-04.csv"
CORE1 = SAMPLES_DIR / "workforce" / "workforce_statistics_excerpt" / "Workforce-Core1-RX1.excerpt.csv"


def damaged(tmp_path, source, old, new, name=None):
    text = source.read_text()
    assert old in text
    path = tmp_path / (name or f"revised-{source.name}")
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_rate_above_100_is_quarantined_and_april_keeps_its_data(tmp_path):
    warehouse = Warehouse(tmp_path / "home")
    assert [o.status for o in warehouse.take(SICKNESS, APRIL_2024)[1]] == ["loaded"]
    path = damaged(tmp_path, APRIL_2024, "1868.54684,52881.10823,3.53", "1868.54684,52881.10823,103.53")
    _, [outcome] = warehouse.take(SICKNESS, path)
    assert outcome.status == "quarantined"
    assert (
        "sickness_absence_rate_percent" in outcome.message
        and "The published rate is days lost / days available" in outcome.message
    )
    assert warehouse.query(
        "select sickness_absence_rate_percent from raw.nhs_sickness_absence_monthly where org_code = '0AR'"
    ) == [(3.53,)]
    assert warehouse.query("select count(*) from meta.load_failures where source_key = 'nhs_sickness_absence_monthly'") == [(1,)]


def test_a_negative_fte_is_quarantined(tmp_path):
    warehouse = Warehouse(tmp_path / "home")
    path = damaged(tmp_path, CORE1, ",Midwives,199.3277,", ",Midwives,-199.3277,")
    taken, outcomes = warehouse.take(FTE, path)
    by_period = {o.period: o for o in outcomes}
    assert by_period["2009-09-01"].status == "quarantined"
    assert "expect_column_values_to_be_between on fte" in by_period["2009-09-01"].message
    # A file is loaded whole or not at all: its good month (2010) waits for a corrected file.
    assert by_period["2010-09-01"].status == "no_file"
    assert warehouse.query("select count(*) from meta.partition_loads where source_key = 'nhs_staff_fte'") == [(0,)]


def test_a_suppression_symbol_in_days_lost_never_lands(tmp_path):
    warehouse = Warehouse(tmp_path / "home")
    path = damaged(tmp_path, APRIL_2024, "1868.54684,52881.10823", "*,52881.10823")
    taken, outcomes = warehouse.take(SICKNESS, path)
    assert taken.status == "rejected" and outcomes == []
    assert taken.error["row"] == 2 and taken.error["column"] == "fte_days_lost"
    assert "'*' is not a number" in taken.message
    assert warehouse.store.quarantined("nhs_sickness_absence_monthly")[0]["original_name"] == path.name


def test_a_file_of_two_months_is_checked_month_against_month_before_either_loads(tmp_path):
    # Constructed from two real months: April whole, May with a third of its organisations. The
    # row-count band compares May with April from the same file, and neither month loads.
    may = SAMPLES_DIR / "workforce" / "sickness_absence_monthly" / "nhs_sickness_absence_2024-05.csv"
    april_lines = APRIL_2024.read_text().splitlines(keepends=True)
    may_lines = may.read_text().splitlines(keepends=True)[1:]
    path = tmp_path / "two-months.csv"
    path.write_text("".join(april_lines + may_lines[::3]))
    warehouse = Warehouse(tmp_path / "home")
    taken, outcomes = warehouse.take(SICKNESS, path)
    assert taken.periods == ("2024-04-01", "2024-05-01")
    assert [o.status for o in outcomes] == ["quarantined", "no_file"]
    assert "failed for 2024-05-01, so none is loaded" in outcomes[0].message
    assert "row count lies in its band" in outcomes[0].message
