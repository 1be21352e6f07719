"""The A&E parser over every real month NHS England published, and its layout quirks."""

from __future__ import annotations

import pytest

from dagster_project.ingest.errors import IngestError
from dagster_project.sources.uec import UEC_AE_MONTHLY, month_from_period
from tests.conftest import UEC_SAMPLES, uec_sample

COUNTS = [c.name for c in UEC_AE_MONTHLY.columns if c.kind == "integer"]
BOOKED = [c for c in COUNTS if c.startswith("booked")]


def test_all_51_real_months_are_bundled():
    assert len(UEC_SAMPLES) == 51


@pytest.mark.parametrize("path", UEC_SAMPLES, ids=lambda p: p.name)
def test_provider_rows_sum_to_the_england_total_row_for_every_measure(path):
    parsed = UEC_AE_MONTHLY.parse(path)
    providers, totals = parsed.tables[""], parsed.tables["totals"]
    assert len(parsed.periods) == 1
    assert len(totals) == 1, "exactly one England total row, kept apart from provider rows"
    assert not providers["org_code"].str.casefold().eq("total").any()
    for measure in COUNTS:
        if providers[measure].isna().all():
            assert measure in BOOKED and totals[measure].isna().all()
            continue
        assert providers[measure].sum() == totals[measure].iloc[0], measure


def test_the_16_column_layout_of_april_to_july_2020_has_no_booked_appointments():
    for month in ("April-2020", "May-2020", "June-2020", "July-2020"):
        providers = UEC_AE_MONTHLY.parse(uec_sample(month)).tables[""]
        assert providers[BOOKED].isna().all().all()
    august = UEC_AE_MONTHLY.parse(uec_sample("August-2020")).tables[""]
    assert august[BOOKED].notna().all().all()


def test_june_2023_reads_as_the_publisher_printed_it():
    parsed = UEC_AE_MONTHLY.parse(uec_sample("June-2023"))
    providers = parsed.tables[""]
    assert parsed.periods == ["2023-06-01"]
    assert len(providers) == 204
    london = providers[providers["parent_org"] == "NHS ENGLAND LONDON"]
    assert london["dta_waits_over_12h"].sum() == 5196
    # Trailing spaces in Parent Org are stripped for every region but London, which has none.
    assert set(providers["parent_org"]) == {
        "NHS ENGLAND EAST OF ENGLAND",
        "NHS ENGLAND LONDON",
        "NHS ENGLAND MIDLANDS",
        "NHS ENGLAND NORTH EAST AND YORKSHIRE",
        "NHS ENGLAND NORTH WEST",
        "NHS ENGLAND SOUTH EAST",
        "NHS ENGLAND SOUTH WEST",
    }
    # Row numbers are the file's own lines (header is line 1).
    assert providers["_row_number"].min() == 2


def test_a_byte_order_mark_does_not_hide_the_period_column():
    path = uec_sample("July-2023")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert UEC_AE_MONTHLY.parse(path).periods == ["2023-07-01"]


@pytest.mark.parametrize("spelling", ["TOTAL", "Total", "TOTAl", "Total "])
def test_the_total_row_is_found_by_content_in_any_spelling(copy_of, spelling):
    path = copy_of(uec_sample("May-2024"))
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    total = lines[-1].split(",")
    lines[-1] = ",".join([spelling] * 4 + total[4:])
    # Move the total row to the middle: position must not matter.
    lines.insert(10, lines.pop())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parsed = UEC_AE_MONTHLY.parse(path)
    assert len(parsed.tables["totals"]) == 1
    assert parsed.tables[""]["dta_waits_over_12h"].sum() == parsed.tables["totals"]["dta_waits_over_12h"].iloc[0]


@pytest.mark.parametrize(
    "label, month",
    [
        ("MSitAE-JUNE-2023", "2023-06-01"),
        ("MSitAE-April-2020", "2020-04-01"),
        ("msitae-sep-2021", "2021-09-01"),
        ("June 2023", "2023-06-01"),
    ],
)
def test_period_labels(label, month):
    assert month_from_period(label) == month


def test_a_period_that_is_not_a_month_is_an_error_naming_the_row(copy_of):
    path = copy_of(uec_sample("June-2023"))
    text = path.read_text(encoding="utf-8-sig").replace("MSitAE-JUNE-2023", "MSitAE-JUNO-2023", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError) as err:
        UEC_AE_MONTHLY.parse(path)
    assert err.value.row == 2 and err.value.column == "period" and err.value.reason == "bad_period"
    assert path.name in str(err.value)
