"""`nhs-warehouse explain`: a published number traced to its files, raw rows, checks and vintages.

The figures are checked against the bundled CSV read here with the csv module, independently of
the warehouse: a London sum is the sum of the London rows the publisher wrote.
"""

from __future__ import annotations

import csv
import hashlib
import json

import pytest
from tests.conftest import run_cli, uec_sample
from tests.support.vintages import edited_vintage

pytestmark = pytest.mark.slow

LONDON_JUNE_2023 = ("mart_uec_region_month", "region_name = 'London' and month_start = '2023-06-01'")
DTA_OVER_12H = "Patients who have waited 12+ hrs from DTA to admission"
ATTENDANCES = ("A&E attendances Type 1", "A&E attendances Type 2", "A&E attendances Other A&E Department")


def london_sum(path, *columns: str) -> int:
    """The publisher's London rows of an A&E file, summed over `columns` (the total row excluded)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = [{k.strip(): v for k, v in row.items()} for row in csv.DictReader(handle)]
    london = [r for r in rows if r["Parent Org"].strip() == "NHS ENGLAND LONDON" and r["Org Code"].strip().casefold() != "total"]
    assert london, f"no London rows in {path.name}"
    return sum(int(r[c]) for r in london for c in columns)


def explain_json(home, mart, where, column=None) -> dict:
    args = ["explain", mart, "--where", where, "--format", "json"] + (["--column", column] if column else [])
    return json.loads(run_cli(*args, home=home, check=True).stdout)


def test_figure_20_london_12_hour_waits_explained_to_the_june_2023_file(built_home):
    sample = uec_sample("June-2023")
    result = explain_json(built_home, *LONDON_JUNE_2023, column="dta_waits_over_12h")

    expected = london_sum(sample, DTA_OVER_12H)
    assert [row["dta_waits_over_12h"] for row in result["rows"]] == [expected]
    assert result["value"] == expected
    assert [m["name"] for m in result["models"]][:3] == ["mart_uec_region_month", "fct_ae_provider_month", "stg_uec__ae_monthly"]
    assert "SUM" in result["models"][0]["columns"][0]["expression"]
    assert result["source_fields"] == ["raw.uec_ae_monthly.dta_waits_over_12h"]

    (file,) = result["files"]
    assert file["sha256"] == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert (file["name"], file["source"], file["period"], file["vintage"]) == (
        sample.name,
        "uec_ae_monthly",
        "2023-06-01",
        "original",
    )
    assert file["source_sum"] == expected
    assert file["raw_rows"] == 28  # the file's London rows
    assert file["url"].startswith("https://www.england.nhs.uk/")
    assert file["landed_at"]
    assert [(v["suite"], v["passed"]) for v in result["validations"]] == [("uec_ae_monthly", True)]
    assert result["other_vintages"] == [] and result["quarantined"] == []

    text = run_cli(
        "explain",
        *LONDON_JUNE_2023[:1],
        "--where",
        LONDON_JUNE_2023[1],
        "--column",
        "dta_waits_over_12h",
        home=built_home,
        check=True,
    ).stdout
    assert f"dta_waits_over_12h = {expected}" in text and file["sha256"] in text and f"source_sum {expected}" in text


def test_a_ratio_names_its_fields_but_sums_none(built_home):
    result = explain_json(built_home, *LONDON_JUNE_2023, column="conversion_rate")
    assert result["additive"] is False
    assert {"raw.uec_ae_monthly.ae_attendances_type_1", "raw.uec_ae_monthly.emergency_admissions_type_1"} <= set(
        result["source_fields"]
    )
    assert [f["source_sum"] for f in result["files"]] == [None]


def test_a_revised_month_shows_both_vintages_and_the_value_each_gives(built_home_copy, tmp_path):
    real = uec_sample("June-2023")
    revision = edited_vintage(
        real, tmp_path / "Monthly-AE-June-2023-revised.csv", org_code="R1K", column="A&E attendances Type 1", delta=100
    )
    run_cli("ingest", str(revision), home=built_home_copy, check=True)
    run_cli("build", "--no-samples", home=built_home_copy, check=True)

    result = explain_json(built_home_copy, *LONDON_JUNE_2023, column="ae_attendances")
    real_sum = london_sum(real, *ATTENDANCES)
    assert result["value"] == real_sum + 100 == london_sum(revision, *ATTENDANCES)
    (file,) = result["files"]
    assert (file["name"], file["vintage"], file["source_sum"]) == (revision.name, "revision 1", real_sum + 100)
    (other,) = result["other_vintages"]
    assert (other["name"], other["vintage"], other["is_current"], other["source_sum"], other["raw_rows"]) == (
        real.name,
        "original",
        False,
        real_sum,
        28,
    )


def test_a_cqc_rating_explained_to_its_api_document(built_home):
    ratings = json.loads(
        run_cli(
            "query",
            "select location_id, rating_key, rating from fct_location_rating_current "
            "where source = 'api' and service is null and key_question = 'Overall' and is_rated order by location_id limit 1",
            "--format",
            "json",
            home=built_home,
            check=True,
        ).stdout
    )
    (rating,) = ratings
    result = explain_json(built_home, "fct_location_rating_current", f"rating_key = '{rating['rating_key']}'", column="rating")
    assert result["value"] == rating["rating"]
    (file,) = result["files"]
    assert file["source"] == "cqc_api_locations" and file["raw_rows"] == 1
    (document,) = file["documents"]
    assert rating["location_id"] in document
    assert all(v["passed"] for v in result["validations"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["no_such_mart", "--where", "true"], "no published mart 'no_such_mart'; published: dim_icb"),
        (["mart_uec_region_month", "--where", "region_name = 'Atlantis'"], "no row of mart_uec_region_month matches"),
        (
            ["mart_uec_region_month", "--where", "true", "--column", "waits"],
            "mart_uec_region_month has no column 'waits'; its columns: month_start",
        ),
        (["mart_uec_region_month", "--where", "no_such_column = 1"], "is not a predicate on mart_uec_region_month"),
    ],
)
def test_bad_input_is_one_line_naming_what_exists_with_exit_status_2(built_home, args, says):
    result = run_cli("explain", *args, home=built_home)
    assert result.returncode == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
