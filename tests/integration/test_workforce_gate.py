"""The workforce expectation suites: a good partition passes, and every expectation has a fixture
that makes it fail. Sickness absence, staff FTE, EU/UK headcount and doctors cases damage real
samples; vacancies and staff survey cases damage files CONSTRUCTED in the published layouts."""

import pytest

from tests.support.constructed_files import staff_survey_workbook, vacancies_csv
from tests.support.gate_fixtures import (
    ROW_BAND,
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
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.workforce import (
    NHS_DOCTORS_BY_SPECIALTY as DOCTORS,
    NHS_SICKNESS_ABSENCE_MONTHLY as SICKNESS,
    NHS_STAFF_EU_UK_HEADCOUNT as HEADCOUNT,
    NHS_STAFF_FTE as FTE,
    NHS_STAFF_SURVEY as SURVEY,
    NHS_VACANCIES as VACANCIES,
)

WORKFORCE = SAMPLES_DIR / "workforce"

A = "nhs_sickness_absence_monthly"
SICKNESS_DAMAGE = [
    drop_column(A, "fte_days_available"),
    *[
        null(A, c)
        for c in (
            "month_end",
            "region_code",
            "region_name",
            "ics_code",
            "ics_name",
            "org_code",
            "org_name",
            "org_type",
            "fte_days_lost",
            "fte_days_available",
            "sickness_absence_rate_percent",
        )
    ],
    wrong_partition(A),
    Damage(
        "a date that is not the month's end",
        (f"update {A} set month_end = month_end - 1 where {first_row(A)}",),
        described(SICKNESS, "last day of the partition's month"),
    ),
    duplicate_row(A, described(SICKNESS, "Each organisation appears once in a partition")),
    Damage(
        "an organisation code that is not ODS",
        (f"update {A} set org_code = 'rx1 ' where {first_row(A)}",),
        described(SICKNESS, "Organisation codes are ODS codes"),
    ),
    Damage(
        "a region that does not exist",
        (f"update {A} set region_code = 'Y99' where {first_row(A)}",),
        "expect_column_values_to_be_in_set|region_code",
    ),
    Damage(
        "an ICS code that is not an ICB's",
        (f"update {A} set ics_code = 'X1' where {first_row(A)}",),
        described(SICKNESS, "ICS codes are ODS codes"),
    ),
    Damage("negative days lost", (f"update {A} set fte_days_lost = -1 where {first_row(A)}",), between_key("fte_days_lost")),
    Damage(
        "no days available", (f"update {A} set fte_days_available = 0 where {first_row(A)}",), between_key("fte_days_available")
    ),
    Damage(
        "a rate above 100",
        (f"update {A} set sickness_absence_rate_percent = 101 where {first_row(A)}",),
        between_key("sickness_absence_rate_percent"),
    ),
    Damage(
        "more days lost than available",
        (f"update {A} set fte_days_lost = fte_days_available + 1 where {first_row(A)}",),
        described(SICKNESS, "never exceed days available"),
    ),
    Damage(
        "a rate the days do not give",
        (f"update {A} set sickness_absence_rate_percent = sickness_absence_rate_percent + 0.01 where {first_row(A)}",),
        described(SICKNESS, "rounded to 2 decimals"),
    ),
    Damage(
        "a month with a third of the organisations", (f"delete from {A} where _row_number % 3 <> 0",), ROW_BAND, previous_rows=285
    ),
]

F = "nhs_staff_fte"
LEAF = "staff_group = 'Midwives'"
SUPPORT_LEAF = "staff_group = 'Support to ST&T staff'"
GRADE = "staff_group = 'HCHS doctors - Consultant'"
FTE_DAMAGE = [
    drop_column(F, "fte"),
    *[null(F, c) for c in ("layout", "data_month", "org_code", "staff_group", "fte")],
    wrong_partition(F),
    Damage(
        "an unknown layout",
        (f"update {F} set layout = 'guess' where {first_row(F)}",),
        "expect_column_values_to_be_in_set|layout",
    ),
    Damage(
        "an organisation code that is not ODS",
        (f"update {F} set org_code = 'Nottingham' where {first_row(F)}",),
        described(FTE, "ODS codes"),
    ),
    Damage("a negative FTE", (f"update {F} set fte = -fte where {LEAF}",), between_key("fte")),
    Damage("a negative headcount", (f"update {F} set headcount = -1 where {LEAF}",), between_key("headcount")),
    duplicate_row(F, described(FTE, "One row per org_code, main_staff_group")),
    Damage(
        "a subtotal among the data rows",
        (f"insert into {F} select * from {F}__totals limit 1",),
        described(FTE, "No subtotal row"),
    ),
    Damage("a staff group lost", (f"delete from {F} where {LEAF}",), described(FTE, "add up to its All staff groups total")),
    Damage(
        "FTE moved between main staff groups",
        (f"update {F} set fte = fte + 10 where {LEAF}", f"update {F} set fte = fte - 10 where {SUPPORT_LEAF}"),
        described(FTE, "main staff group's staff groups"),
    ),
    Damage(
        "FTE moved from a doctors' grade to midwives",
        (f"update {F} set fte = fte + 10 where {LEAF}", f"update {F} set fte = fte - 10 where {GRADE}"),
        described(FTE, "Doctors' grades add up"),
    ),
    empty(F),
]

H = "nhs_staff_eu_uk_headcount"
FIRST_ORG = f"org_code = (select min(org_code) from {H})"
HEADCOUNT_DAMAGE = [
    drop_column(H, "headcount"),
    *[null(H, c) for c in ("data_month", "area_level", "org_code", "nationality_group", "staff_group", "headcount")],
    wrong_partition(H),
    Damage(
        "an organisation code that is not ODS",
        (f"update {H} set org_code = 'R-FS' where org_code = 'RFS'",),
        described(HEADCOUNT, "ODS codes"),
    ),
    Damage(
        "a nationality group other than EU or UK",
        (f"update {H} set nationality_group = 'Other' where {first_row(H)}",),
        "expect_column_values_to_be_in_set|nationality_group",
    ),
    Damage(
        "a staff group the table does not have",
        (f"update {H} set staff_group = 'Managers' where {first_row(H)}",),
        "expect_column_values_to_be_in_set|staff_group",
    ),
    Damage("a negative headcount", (f"update {H} set headcount = -1 where {first_row(H)}",), between_key("headcount")),
    duplicate_row(H, described(HEADCOUNT, "One row per org_code, nationality_group")),
    Damage(
        "no England row",
        (f"delete from {H}__totals where area_level = 'england' and staff_group = 'Other staff'",),
        described(HEADCOUNT, "England's headcount for each"),
    ),
    Damage(
        "All staff above the sum of the groups",
        (f"update {H} set headcount = 1000000 where {FIRST_ORG} and staff_group = 'All staff'",),
        described(HEADCOUNT, "at least its largest staff group"),
    ),
    Damage(
        "half the organisations missing",
        (f"delete from {H} where hash(org_code) % 2 = 0",),
        described(HEADCOUNT, "add up to England's headcount"),
    ),
    Damage(
        "a table a tenth of the last one's size",
        (f"delete from {H} where hash(org_code) % 10 <> 0",),
        ROW_BAND,
        previous_rows=3480,
    ),
]

D = "nhs_doctors_by_specialty"
DOCTORS_DAMAGE = [
    drop_column(D, "grade"),
    *[null(D, c) for c in ("data_month", "org_code", "specialty", "grade", "fte", "headcount")],
    wrong_partition(D),
    Damage(
        "an organisation code that is not ODS",
        (f"update {D} set org_code = 'R X1' where {first_row(D)}",),
        described(DOCTORS, "ODS codes"),
    ),
    Damage("a negative FTE", (f"update {D} set fte = -1 where {first_row(D)}",), between_key("fte")),
    Damage("a negative headcount", (f"update {D} set headcount = -1 where {first_row(D)}",), between_key("headcount")),
    Damage(
        "a row that is not a doctor",
        (f"update {D} set staff_group = 'Midwives' where {first_row(D)}",),
        described(DOCTORS, "doctors' grade"),
    ),
    duplicate_row(D, described(DOCTORS, "One row per org_code, specialty, grade")),
    empty(D),
]

V = "nhs_vacancies"
VACANCY_DAMAGE = [
    drop_column(V, "vacancy_rate_percent"),
    *[null(V, c) for c in ("period", "region_code", "region_name", "staff_group")],
    wrong_partition(V),
    Damage(
        "a region that does not exist",
        (f"update {V} set region_code = 'Y99' where {first_row(V)}",),
        "expect_column_values_to_be_in_set|region_code",
    ),
    Damage("negative vacancies", (f"update {V} set vacancy_fte = -1 where {first_row(V)}",), between_key("vacancy_fte")),
    Damage(
        "a negative planned workforce",
        (f"update {V} set planned_workforce_fte = -1 where {first_row(V)}",),
        between_key("planned_workforce_fte"),
    ),
    Damage(
        "a rate above 100",
        (f"update {V} set vacancy_rate_percent = 100.5 where {first_row(V)}",),
        between_key("vacancy_rate_percent"),
    ),
    Damage(
        "more vacancies than posts",
        (f"update {V} set planned_workforce_fte = vacancy_fte - 1 where {first_row(V)}",),
        described(VACANCIES, "never exceed the planned workforce"),
    ),
    Damage(
        "a rate the FTE do not give",
        (f"update {V} set vacancy_rate_percent = vacancy_rate_percent + 1 where {first_row(V)}",),
        described(VACANCIES, "to one decimal"),
    ),
    duplicate_row(V, described(VACANCIES, "One row per region_code, staff_group")),
    Damage(
        "regions that do not add up to England",
        (
            f"update {V} set vacancy_fte = vacancy_fte + 50, planned_workforce_fte = planned_workforce_fte + 500 where {first_row(V)}",
        ),
        described(VACANCIES, "Regions add up to England"),
    ),
    Damage("a quarter with one region", (f"delete from {V} where region_code <> 'Y56'",), ROW_BAND, previous_rows=14),
]

Q = "nhs_staff_survey"
SURVEY_DAMAGE = [
    drop_column(Q, "question_code"),
    *[null(Q, c) for c in ("survey_year", "org_code", "question_code")],
    wrong_partition(Q),
    Damage(
        "an organisation code that is not ODS",
        (f"update {Q} set org_code = 'Trust 1' where {first_row(Q)}",),
        described(SURVEY, "ODS codes"),
    ),
    Damage(
        "a question number the questionnaire would not print",
        (f"update {Q} set question_code = 'question 23' where {first_row(Q)}",),
        described(SURVEY, "numbered as the questionnaire"),
    ),
    Damage("a result above 100 percent", (f"update {Q} set value = 163.1 where {first_row(Q)}",), between_key("value")),
    Damage("negative responses", (f"update {Q} set responses = -1 where {first_row(Q)}",), between_key("responses")),
    Damage(
        "a suppressed result with a value",
        (f"update {Q} set value = 50 where value_marker is not null",),
        described(SURVEY, "suppressed result carries no value"),
    ),
    duplicate_row(Q, described(SURVEY, "One row per org_code, question_code")),
    Damage(
        "a survey year that is not the partition's",
        (f"update {Q} set survey_year = 2021 where {first_row(Q)}",),
        described(SURVEY, "start of the partition's financial year"),
    ),
    Damage("one organisation where there were three", (f"delete from {Q} where org_code <> 'RX1'",), ROW_BAND, previous_rows=12),
]


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    return StagedGate(tmp_path_factory.mktemp("workforce-gate"))


@pytest.fixture(scope="module")
def partitions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("constructed")
    return {
        A: (
            SICKNESS,
            SICKNESS.parse(WORKFORCE / "sickness_absence_monthly" / "nhs_sickness_absence_2024-04.csv").for_period("2024-04-01"),
            "2024-04-01",
        ),
        F: (
            FTE,
            FTE.parse(WORKFORCE / "workforce_statistics_excerpt" / "Workforce-Core1-RX1.excerpt.csv").for_period("2009-09-01"),
            "2009-09-01",
        ),
        H: (
            HEADCOUNT,
            HEADCOUNT.parse(next((WORKFORCE / "staff_by_group_nationality").glob("EU_and_UK_*.xlsx"))).for_period("2016-09-01"),
            "2016-09-01",
        ),
        D: (
            DOCTORS,
            DOCTORS.parse(WORKFORCE / "workforce_statistics_excerpt" / "Workforce-Core3-RX1.excerpt.csv").for_period(
                "2026-04-01"
            ),
            "2026-04-01",
        ),
        V: (VACANCIES, VACANCIES.parse(vacancies_csv(folder / "vacancies.csv")).for_period("2022-06-01"), "2022-06-01"),
        Q: (
            SURVEY,
            SURVEY.parse(staff_survey_workbook(folder / "nss22.xlsx", 2022, ["q23a", "q23b", "q23c", "q23d"])).for_period(
                "2022-23"
            ),
            "2022-23",
        ),
    }


CASES = {A: SICKNESS_DAMAGE, F: FTE_DAMAGE, H: HEADCOUNT_DAMAGE, D: DOCTORS_DAMAGE, V: VACANCY_DAMAGE, Q: SURVEY_DAMAGE}
SPECS = {A: SICKNESS, F: FTE, H: HEADCOUNT, D: DOCTORS, V: VACANCIES, Q: SURVEY}


@pytest.mark.parametrize("source", list(CASES))
def test_a_good_partition_passes(gate, partitions, source):
    spec, frames, period = partitions[source]
    result = gate.validate(spec, frames, period)
    assert result.success, result.summary()


@pytest.mark.parametrize(
    "source, damage",
    [(source, d) for source, cases in CASES.items() for d in cases],
    ids=lambda x: x if isinstance(x, str) else x.name,
)
def test_suite_rejects(gate, partitions, source, damage):
    spec, frames, period = partitions[source]
    result = gate.validate(spec, frames, period, damage)
    assert not result.success
    assert damage.fails in failed_keys(result), result.summary()


@pytest.mark.parametrize("source", list(CASES))
def test_every_expectation_has_a_failing_fixture(source):
    assert suite_keys(SPECS[source]) - {d.fails for d in CASES[source]} == set()
