"""The carers expectation suites: a good partition passes, and every expectation has a fixture
that makes it fail. ASCOF cases damage the real Oflog file's 2021-22 partition; SACE cases damage a
table CONSTRUCTED in the survey's published layout (no real file is bundled)."""

import pytest

from tests.support.constructed_files import sace_workbook
from tests.support.gate_fixtures import (
    Damage,
    StagedGate,
    described,
    drop_column,
    duplicate_row,
    empty,
    failed_keys,
    first_row,
    null,
    suite_keys,
    wrong_partition,
)
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.carers import ASCOF_COUNCIL_MEASURES as ASCOF, SACE_COUNCIL_TABLES as SACE

T = "ascof_council_measures"
CARER_QOL = "measure = 'Outcome, ASC Carer Quality of Life'"

ASCOF_DAMAGE = [
    drop_column(T, "publisher_median"),
    *[null(T, c) for c in ("financial_year", "la_code", "la_name", "region_name", "measure", "publisher_median")],
    wrong_partition(T),
    Damage(
        "two financial years",
        (f"update {T} set financial_year = '2020-21' where {first_row(T)}",),
        described(ASCOF, "Each partition holds one financial year"),
    ),
    duplicate_row(T, described(ASCOF, "One row per la_code, measure")),
    Damage(
        "a district's code",
        (f"update {T} set la_code = 'E07000026' where {first_row(T)}",),
        described(ASCOF, "upper-tier councils"),
    ),
    Damage(
        "a council code that does not exist",
        (f"update {T} set la_code = 'E06000999' where {first_row(T)}",),
        described(ASCOF, "existed in that financial year"),
    ),
    Damage(
        "a council before it existed (Cumberland in 2021-22)",
        (f"update {T} set la_code = 'E06000063', la_name = 'Cumberland' where la_code = 'E10000006'",),
        described(ASCOF, "existed in that financial year"),
    ),
    Damage(
        "a council in the wrong region",
        (f"update {T} set region_name = 'London' where la_code = 'E06000001'",),
        described(ASCOF, "ONS region it lies in"),
    ),
    Damage(
        "a measure nobody mapped",
        (f"update {T} set measure = 'Outcome, Something new' where {first_row(T)}",),
        described(ASCOF, "measure is one the warehouse knows"),
    ),
    Damage(
        "Oflog code of another measure",
        (f"update {T} set oflog_code = 'ASC9' where {first_row(T)}",),
        described(ASCOF, "agrees with its measure label"),
    ),
    Damage(
        "a 1D score above 12",
        (f"update {T} set value = 13 where {first_row(T, CARER_QOL + ' and value is not null')}",),
        described(ASCOF, "lies in its measure's range"),
    ),
    Damage(
        "two medians for one measure",
        (f"update {T} set publisher_median = publisher_median + 1 where {first_row(T, CARER_QOL)}",),
        described(ASCOF, "one median per measure"),
    ),
    Damage(
        "a median the values do not give",
        (f"update {T} set publisher_median = publisher_median + 0.1 where {CARER_QOL}",),
        described(ASCOF, "equals the median of the councils"),
    ),
    Damage(
        "more councils than exist",
        (
            f"insert into {T} select * replace (la_name || ' copy' as la_name) from {T} where {CARER_QOL} and value is not null limit 10",
        ),
        described(ASCOF, "At most 153 councils"),
    ),
    empty(T),
]

S = "sace_council_tables"
REPORTED = "value_status = 'reported'"
SACE_DAMAGE = [
    drop_column(S, "measure_label"),
    *[null(S, c) for c in ("financial_year", "la_code", "la_name", "measure_code", "value_status")],
    wrong_partition(S),
    Damage(
        "an unknown status",
        (f"update {S} set value_status = 'unknown' where {first_row(S)}",),
        "expect_column_values_to_be_in_set|value_status",
    ),
    Damage(
        "a reported value that is missing",
        (f"update {S} set value = null where {REPORTED} and {first_row(S, REPORTED)}",),
        described(SACE, "present exactly when"),
    ),
    Damage(
        "a percentage above 100",
        (f"update {S} set value = 101 where measure_code = '3B' and value is not null",),
        described(SACE, "lies between 0 and 12"),
    ),
    duplicate_row(S, described(SACE, "One row per la_code, measure_code")),
    Damage(
        "a district's code",
        (f"update {S} set la_code = 'E07000026' where la_code = 'E06000001'",),
        described(SACE, "upper-tier councils"),
    ),
    Damage(
        "a council code that does not exist",
        (f"update {S} set la_code = 'E06000999' where la_code = 'E06000001'",),
        described(SACE, "existed in that financial year"),
    ),
    Damage("no England row", (f"delete from {S}__totals where la_code = 'E92000001'",), described(SACE, "England's figures")),
    empty(S),
]


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    return StagedGate(tmp_path_factory.mktemp("carers-gate"))


@pytest.fixture(scope="module")
def ascof_2021_22():
    return ASCOF.parse(SAMPLES_DIR / "carers" / "ascof_oflog" / "ASC_data.csv").for_period("2021-22")


@pytest.fixture(scope="module")
def sace_2021_22(tmp_path_factory):
    return SACE.parse(sace_workbook(tmp_path_factory.mktemp("sace") / "constructed.xlsx")).for_period("2021-22")


def test_the_real_2021_22_oflog_partition_passes(gate, ascof_2021_22):
    result = gate.validate(ASCOF, ascof_2021_22, "2021-22")
    assert result.success, result.summary()


def test_the_constructed_sace_table_passes(gate, sace_2021_22):
    result = gate.validate(SACE, sace_2021_22, "2021-22")
    assert result.success, result.summary()


@pytest.mark.parametrize("damage", ASCOF_DAMAGE, ids=lambda d: d.name)
def test_ascof_suite_rejects(gate, ascof_2021_22, damage):
    result = gate.validate(ASCOF, ascof_2021_22, "2021-22", damage)
    assert not result.success
    assert damage.fails in failed_keys(result), result.summary()


@pytest.mark.parametrize("damage", SACE_DAMAGE, ids=lambda d: d.name)
def test_sace_suite_rejects(gate, sace_2021_22, damage):
    result = gate.validate(SACE, sace_2021_22, "2021-22", damage)
    assert not result.success
    assert damage.fails in failed_keys(result), result.summary()


@pytest.mark.parametrize("spec, cases", [(ASCOF, ASCOF_DAMAGE), (SACE, SACE_DAMAGE)], ids=["ascof", "sace"])
def test_every_expectation_has_a_failing_fixture(spec, cases):
    assert suite_keys(spec) - {d.fails for d in cases} == set()
