"""The OAPs expectation suite: every real month passes, and every expectation has a fixture that
makes it fail. Cases damage the real February 2017 partition (NHS Digital's 10-column layout)."""

import pytest

from tests.support.gate_fixtures import (
    Damage,
    StagedGate,
    described,
    drop_column,
    duplicate_row,
    empty,
    failed_keys,
    null,
    suite_keys,
    wrong_partition,
)
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.mental_health import MH_OAPS_MONTHLY as OAPS

OAPS_DIR = SAMPLES_DIR / "mental_health" / "oaps"
T = "mh_oaps_monthly"
ENGLAND_ACTIVE = "breakdown1 = 'England' and question = 'OAPs active at period end'"
CCG_ACTIVE = "breakdown1 = 'Ccg' and breakdown1_code = '00C' and question = 'OAPs active at period end'"

DAMAGE = [
    drop_column(T, "breakdown2_code"),
    *[null(T, c) for c in ("question", "breakdown1")],
    wrong_partition(T),
    Damage(
        "a renamed question",
        (f"update {T} set question = 'OAPs open at the end of the period' where question = 'OAPs active at period end'",),
        described(OAPS, "Every question is one"),
    ),
    Damage(
        "a breakdown nobody mapped",
        (f"update {T} set breakdown1 = 'Icb' where breakdown1 = 'Ccg'",),
        described(OAPS, "Every breakdown (Breakdown1"),
    ),
    duplicate_row(T, described(OAPS, "One value per question and breakdown")),
    Damage("no England row", (f"delete from {T} where {ENGLAND_ACTIVE}",), described(OAPS, "exactly one England row")),
    Damage("England suppressed", (f"update {T} set value = null where {ENGLAND_ACTIVE}",), described(OAPS, "never suppressed")),
    Damage("a negative count", (f"update {T} set value = -5 where {CCG_ACTIVE}",), described(OAPS, "No figure is negative")),
    Damage(
        "a share written as a percentage",
        (
            f"update {T} set value = 62.2457 where breakdown1 = 'England' and question = 'Percentage of OAP days with cost recorded'",
        ),
        described(OAPS, "Shares are fractions"),
    ),
    Damage(
        "a bed type total that is not England's",
        (
            f"update {T} set value = 680 where breakdown1 = 'BedType' and breakdown1_code = 'England' and question = 'OAPs active at period end'",
        ),
        described(OAPS, "all-England row equals the England row"),
    ),
    Damage(
        "an unrounded CCG count", (f"update {T} set value = 7 where {CCG_ACTIVE}",), described(OAPS, "rounded to the nearest 5")
    ),
    empty(T),
]


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    return StagedGate(tmp_path_factory.mktemp("oaps-gate"))


@pytest.fixture(scope="module")
def feb_2017():
    return OAPS.parse(OAPS_DIR / "oaps-open-data-feb-2017.csv").for_period("2017-02-01")


@pytest.mark.parametrize("name, period", [("oct-2016", "2016-10-01"), ("nov-2016", "2016-11-01"), ("feb-2017", "2017-02-01")])
def test_every_real_month_passes(gate, name, period):
    frames = OAPS.parse(OAPS_DIR / f"oaps-open-data-{name}.csv").for_period(period)
    result = gate.validate(OAPS, frames, period)
    assert result.success, result.summary()


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda d: d.name)
def test_oaps_suite_rejects(gate, feb_2017, damage):
    result = gate.validate(OAPS, feb_2017, "2017-02-01", damage)
    assert not result.success
    assert damage.fails in failed_keys(result), result.summary()


def test_every_expectation_has_a_failing_fixture():
    assert suite_keys(OAPS) - {d.fails for d in DAMAGE} == set()
