"""The AmbSYS expectation suite: NHS England's real time series passes, and every expectation has
a fixture that makes it fail. The whole series is staged and validated together, as a load does;
each damage case stages the real file's May-July 2023 (one validation of 105 months costs several
seconds more, and 40 cases are run)."""

import pytest

from tests.support.gate_fixtures import (
    Damage,
    StagedGate,
    between_key,
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
from dagster_project.ingest.landing import LandedFile
from dagster_project.ingest.load import stage_many
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.ambsys import UEC_AMBSYS_MONTHLY as AMBSYS, named_codes

T = "uec_ambsys_monthly"
JUNE_2023 = "_period = '2023-06-01'"
CODES = sorted(code.lower() for code in named_codes())

DAMAGE = [
    drop_column(T, "a25"),
    *[null(T, c) for c in ("year", "month", "region", "org_code", "org_name")],
    *[
        Damage(f"negative {c}", (f"update {T} set {c} = -1 where {first_row(T, c + ' is not null')}",), between_key(c))
        for c in CODES
    ],
    wrong_partition(T),
    duplicate_row(T, described(AMBSYS, "Each organisation appears once in a month")),
    Damage(
        "no England row in June 2023",
        (f"delete from {T} where org_code = 'Eng' and {JUNE_2023}",),
        described(AMBSYS, "exactly one England row"),
    ),
    Damage(
        "a region nhse_regions does not know",
        (f"update {T} set region = 'Y99' where org_code = 'RRU' and {JUNE_2023}",),
        described(AMBSYS, "Every row is England, an NHS England region"),
    ),
    Damage(
        "a region row with another name",
        (f"update {T} set region = 'Greater London' where org_code = 'Y56' and {JUNE_2023}",),
        described(AMBSYS, "Every row is England, an NHS England region"),
    ),
    Damage(
        "England's C2 mean not collected",
        (f"update {T} set a31 = null where org_code = 'Eng' and {JUNE_2023}",),
        described(AMBSYS, "England's row carries every measure"),
    ),
    Damage(
        "a trust's C1 incidents revised without its region and England",
        (f"update {T} set a8 = a8 + 10 where org_code = 'RX7' and {JUNE_2023}",),
        described(AMBSYS, "England and each region equal the sum of their trusts"),
    ),
    Damage(
        "a region's C2 mean one second off",
        (f"update {T} set a31 = a31 + 1 where org_code = 'Y62' and {JUNE_2023}",),
        described(AMBSYS, "mean response time is its total time over its incidents"),
    ),
    Damage(
        "C1 mean and 90th centile swapped",
        (f"update {T} set a25 = a26, a26 = a25 where org_code = 'RRU' and {JUNE_2023}",),
        described(AMBSYS, "90th centile is never below the mean"),
    ),
    Damage(
        "more C1T than C1 incidents",
        (f"update {T} set a9 = a8 + 1 where org_code = 'RRU' and {JUNE_2023}",),
        described(AMBSYS, "C1T incidents"),
    ),
    Damage(
        "June 2023 with six trusts missing",
        (f"delete from {T} where {JUNE_2023} and org_code in ('RX6', 'RX7', 'RX8', 'RX9', 'RYA', 'RYC')",),
        described(AMBSYS, "row count lies in its band"),
    ),
    empty(T),
]


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    return StagedGate(tmp_path_factory.mktemp("ambsys-gate"))


@pytest.fixture(scope="module")
def months():
    parsed = AMBSYS.parse(SAMPLES_DIR / "uec" / "ambsys" / "AmbSYS-to-Apr-2026.csv")
    return {period: parsed.for_period(period) for period in parsed.periods}


@pytest.fixture(scope="module")
def summer_2023(months):
    return {period: months[period] for period in ("2023-05-01", "2023-06-01", "2023-07-01")}


def _validate(gate: StagedGate, months, damage: Damage | None = None):
    import duckdb

    landed = LandedFile(source=AMBSYS.key, sha256="0" * 64, size=0, original_name="fixture", stored_name="fixture", fetched_at="")
    staged = stage_many(AMBSYS, [(period, landed, frames) for period, frames in months.items()], gate.folder / "pending")
    if damage is not None:
        con = duckdb.connect(str(staged.pending_db))
        try:
            for statement in damage.sql:
                con.execute(statement)
        finally:
            con.close()
    previous = {period: (19 if period != "2017-08-01" else None) for period in months}
    return gate.gate.validate(staged, AMBSYS.suite_path, previous)


def test_the_real_series_passes_every_expectation(gate, months):
    result = _validate(gate, months)
    assert result.success, result.summary()


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda d: d.name)
def test_the_suite_rejects(gate, summer_2023, damage):
    result = _validate(gate, summer_2023, damage)
    assert not result.success
    assert damage.fails in failed_keys(result), result.summary()


def test_every_expectation_has_a_failing_fixture():
    assert suite_keys(AMBSYS) - {d.fails for d in DAMAGE} == set()
