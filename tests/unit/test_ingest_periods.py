"""The period helpers every spec uses to turn a publisher's date or year into a partition key."""

import pytest

from dagster_project.ingest.periods import (
    financial_year,
    find_financial_year,
    find_month,
    month_start,
    quarter_end_month,
)


@pytest.mark.parametrize("written", ["2021-22", "2021/22", "2021-2022", "2021/2022", "FY2021-22", " 2021 - 22 "])
def test_financial_years_written_any_way_become_one_key(written):
    assert financial_year(written) == "2021-22"


@pytest.mark.parametrize("bad", ["2021-23", "2021", "21-22", "2021-2023"])
def test_a_financial_year_must_be_two_consecutive_years(bad):
    with pytest.raises(ValueError):
        financial_year(bad)


def test_a_financial_year_is_found_in_a_table_title():
    assert find_financial_year("Survey of Adult Carers in England, 2021-22: measures by council") == "2021-22"
    assert find_financial_year("Table 1: no year here") is None


@pytest.mark.parametrize(
    "written, key",
    [
        ("30/04/2024", "2024-04-01"),  # sickness absence DATE (month end)
        ("2009-09-30", "2009-09-01"),  # Workforce Statistics DATA_MONTH
        ("2017-SEP", "2017-09-01"),  # the nationality workbook's Month
        ("2018-JUN", "2018-06-01"),
        ("September 2017", "2017-09-01"),
        ("2024-04", "2024-04-01"),
    ],
)
def test_months_written_any_way_become_the_month_start(written, key):
    assert month_start(written) == key


def test_a_month_is_found_in_an_as_at_title():
    title = "HCHS staff with an EU nationality ... in NHS Trusts and CCGs in England, as at 30 April 2017, headcount"
    assert find_month(title) == "2017-04-01"


@pytest.mark.parametrize(
    "written, key",
    [
        ("2022-23 Q1", "2022-06-01"),
        ("Q2 2022/23", "2022-09-01"),
        ("2022-23 Q3", "2022-12-01"),
        ("2022-23 Q4", "2023-03-01"),
        ("30/06/2022", "2022-06-01"),
    ],
)
def test_quarters_become_the_month_the_quarter_ends(written, key):
    assert quarter_end_month(written) == key


def test_a_date_that_does_not_end_a_quarter_is_not_a_quarter():
    with pytest.raises(ValueError, match="not the end of a quarter"):
        quarter_end_month("31/05/2022")
