"""NHS Digital's OAPs open data read by column name in each of the publisher's layouts: the real
6-column (October, November 2016) and 10-column (February 2017) files, and layouts built from the
real February file (the 8-column January 2017 header, columns reordered, an extra column)."""

import csv
import io

import pytest

from dagster_project.ingest.errors import IngestError
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources import SOURCES
from dagster_project.sources.mental_health import MH_OAPS_MONTHLY as SPEC, month_from_file_name, month_from_publication_period

OAPS = SAMPLES_DIR / "mental_health" / "oaps"
FEB = OAPS / "oaps-open-data-feb-2017.csv"


def england_active(parsed) -> float:
    frame = parsed.tables[""]
    rows = frame[(frame.breakdown1 == "England") & (frame.question == "OAPs active at period end")]
    assert len(rows) == 1
    return rows.value.iloc[0]


@pytest.mark.parametrize(
    "name, period, rows, active",
    [
        ("oaps-open-data-oct-2016.csv", "2016-10-01", 8424, 203),
        ("oaps-open-data-nov-2016.csv", "2016-11-01", 11050, 528),
        ("oaps-open-data-feb-2017.csv", "2017-02-01", 12236, 681),
    ],
)
def test_each_real_month_gives_its_period_and_england_active_at_period_end(name, period, rows, active):
    parsed = SPEC.parse(OAPS / name)
    assert parsed.periods == [period]
    assert parsed.row_count == rows and parsed.warnings == []
    assert england_active(parsed) == active


def test_every_bundled_file_is_recognised_as_oaps_and_nothing_else():
    for path in OAPS.glob("*.csv"):
        assert [key for key, spec in SOURCES.items() if spec.match_score(path) >= 0.5] == ["mh_oaps_monthly"]


def test_the_6_column_layout_takes_its_month_from_the_publishers_name_not_the_stored_one(tmp_path):
    stored = tmp_path / ("0" * 64 + ".csv")  # how the landing store names a file
    stored.write_bytes((OAPS / "oaps-open-data-nov-2016.csv").read_bytes())
    assert SPEC.parse(stored, name="oaps-open-data-nov-2016.csv").periods == ["2016-11-01"]
    with pytest.raises(IngestError) as raised:
        SPEC.parse(stored)
    assert raised.value.reason == "bad_period"
    assert "no publication_period column" in raised.value.message and "000000" in raised.value.message


def test_the_10_column_layout_takes_its_month_from_publication_period_whatever_the_name(tmp_path):
    renamed = tmp_path / "oaps-open-data-oct-2016.csv"  # a misleading name: the column wins
    renamed.write_bytes(FEB.read_bytes())
    parsed = SPEC.parse(renamed)
    assert parsed.periods == ["2017-02-01"]
    assert set(parsed.tables[""].publication_date) == {"2017/04"}


def rewrite(tmp_path, name, columns, extra=None):
    """The real February 2017 file with only `columns`, in that order (and an extra column)."""
    with open(FEB, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns + ([extra] if extra else []))
    for row in rows:
        writer.writerow([row[c] for c in columns] + (["x"] if extra else []))
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_the_8_column_layout_of_january_2017_is_read_by_name(tmp_path):
    # January 2017's header (read from the copy in vfillis/out-of-area-placements): descriptions, no publication columns.
    columns = [
        "Question",
        "Breakdown1",
        "Breakdown1Code",
        "Breakdown1Description",
        "Breakdown2",
        "Breakdown2Code",
        "Breakdown2Description",
        "value",
    ]
    parsed = SPEC.parse(rewrite(tmp_path, "oaps-open-data-feb-2017.csv", columns))
    assert parsed.periods == ["2017-02-01"] and england_active(parsed) == 681
    frame = parsed.tables[""]
    assert frame.publication_period.isna().all()
    assert frame[frame.breakdown1_code == "Y56"].breakdown1_description.iloc[0] == "London Commissioning Region"


def test_columns_in_another_order_with_an_extra_column_are_read_by_name(tmp_path):
    columns = ["value", "Breakdown2Code", "Breakdown2", "Breakdown1Code", "Breakdown1", "Question", "PublicationPeriod"]
    parsed = SPEC.parse(rewrite(tmp_path, "reordered.csv", columns, extra="RegionONSCode"))
    assert parsed.periods == ["2017-02-01"] and england_active(parsed) == 681
    assert any("RegionONSCode" in w for w in parsed.warnings)


def test_a_layout_without_a_required_column_is_rejected_naming_it(tmp_path):
    columns = ["PublicationPeriod", "Question", "Breakdown1", "Breakdown1Code", "Breakdown2", "value"]
    with pytest.raises(IngestError) as raised:
        SPEC.parse(rewrite(tmp_path, "no-code.csv", columns))
    assert raised.value.reason == "missing_column" and raised.value.column == "breakdown2_code"


def test_values_costs_in_scientific_notation_shares_as_fractions_and_stars_as_suppressed():
    frame = SPEC.parse(OAPS / "oaps-open-data-nov-2016.csv").tables[""]
    england = frame[frame.breakdown1 == "England"].set_index("question").value
    assert england["Total recorded costs over the period"] == 5035630.0  # written 5.03563e+006
    assert england["Percentage of OAP days with cost recorded"] == 0.841724
    assert frame.value.isna().sum() == 8250  # the publisher's * marks, and nothing else is missing


def test_a_blank_value_is_an_error_not_a_suppression(tmp_path):
    text = FEB.read_text(encoding="utf-8")
    damaged = tmp_path / "oaps-open-data-feb-2017.csv"
    damaged.write_text(text.replace('"England","","","","","","681"', '"England","","","","","",""', 1), encoding="utf-8")
    with pytest.raises(IngestError) as raised:
        SPEC.parse(damaged)
    assert raised.value.reason == "bad_value" and raised.value.column == "value" and raised.value.row == 2


@pytest.mark.parametrize(
    "name, month",
    [
        ("oaps-open-data-oct-2016.csv", "2016-10-01"),
        ("landing/mental_health/oaps-open-data-Sept-2017.csv", "2017-09-01"),
        ("OAPs_open_data_January2017.csv", "2017-01-01"),
    ],
)
def test_month_from_file_name(name, month):
    assert month_from_file_name(name) == month


def test_month_from_publication_period():
    assert month_from_publication_period("2017/02") == "2017-02-01"
    with pytest.raises(ValueError):
        month_from_publication_period("2017/13")
