"""Workforce: NHS staff numbers, sickness absence, vacancies and the NHS Staff Survey.

- `nhs_sickness_absence_monthly`: NHS Digital's *NHS Sickness Absence Rates*, one CSV a month at
  organisation level (trusts, integrated care boards, commissioning support units, national bodies).
- `nhs_staff_fte`: NHS Digital's HCHS staff FTE by staff group and organisation, in the tidy
  nationality `Data` sheet (2017-2018) or the *NHS Workforce Statistics* "Core 1" CSV layout
  (`sources/staff_fte_layouts.py`).
- `nhs_staff_eu_uk_headcount`: the older presentation workbooks (2016 XLSX, 2017 legacy XLS) of
  HCHS staff with an EU or UK nationality, headcount (`sources/hchs_nationality_tables.py`).
- `nhs_doctors_by_specialty`: *NHS Workforce Statistics* "Core 3", doctors by specialty and grade.
- `nhs_vacancies`: NHS Digital's *NHS Vacancy Statistics* (NHS England's quarterly collection):
  vacancy FTE and rate by staff group and region.
- `nhs_staff_survey`: the NHS Staff Survey's organisation-level question results
  (`sources/staff_survey_tables.py`).
"""

from __future__ import annotations

from dagster_project.ingest.periods import month_start, quarter_end_month
from dagster_project.ingest.columns import Column
from dagster_project.ingest.spec import SourceSpec
from dagster_project.sources import hchs_nationality_tables, staff_fte_layouts, staff_survey_tables


def _number(name: str, *spellings: str, required: bool = True, description: str = "") -> Column:
    return Column(name, "number", spellings, required=required, description=description)


# ---------------------------------------------------------------------------------------------
# Sickness absence

SICKNESS_COLUMNS = (
    Column("month_end", "date", ("DATE",), description="Last day of the month, dd/mm/yyyy in the file"),
    Column("region_code", "text", ("NHSE_REGION_CODE",), description="NHS England region (Y56-Y63), or QZZ for national bodies"),
    Column("region_name", "text", ("NHSE_REGION_NAME",)),
    Column("ics_code", "text", ("ICS_CODE",), description="Integrated care system / ICB code (Q..), or QZZ"),
    Column("ics_name", "text", ("ICS_NAME",)),
    Column("org_code", "text", ("ORG_CODE",)),
    Column("org_name", "text", ("ORG_NAME",)),
    Column("org_type", "text", ("ORG_TYPE",), description="Acute, Mental Health, Integrated Care Board, ..."),
    _number("fte_days_lost", "FTE_DAYS_LOST", description="FTE days lost to sickness absence"),
    _number("fte_days_available", "FTE_DAYS_AVAILABLE", description="FTE days available"),
    _number("sickness_absence_rate_percent", "SICKNESS_ABSENCE_RATE_PERCENT", description="Publisher's rate, 2 decimals"),
)

NHS_SICKNESS_ABSENCE_MONTHLY = SourceSpec(
    key="nhs_sickness_absence_monthly",
    family="workforce",
    title="NHS Sickness Absence Rates (monthly, organisation level)",
    publisher="NHS Digital",
    provenance=(
        "NHS Digital, NHS Sickness Absence Rates, organisation-level monthly CSV; copies kept in "
        "ml20g2l/NHS-Workforce-Capacity-and-Service-Delivery-Reporting-Solution @ "
        "040904b590e60219900e1b1da31b2c5437105e4d, 02_source_data/raw/absence/ (OGL v3.0)"
    ),
    format="csv",
    partitioning="monthly",
    first_period="2009-04-01",
    columns=SICKNESS_COLUMNS,
    period_column="month_end",
    period_from_value=month_start,
    # The publisher writes a number for every organisation: a symbol in a count is an error.
    missing_markers=frozenset(),
    sample_glob="workforce/sickness_absence_monthly/*.csv",
    url_template=None,
    index_url="https://digital.nhs.uk/data-and-information/publications/statistical/nhs-sickness-absence-rates",
    row_key=("org_code",),
)

# ---------------------------------------------------------------------------------------------
# Staff FTE and headcount

NHS_STAFF_FTE = SourceSpec(
    key="nhs_staff_fte",
    family="workforce",
    title="HCHS staff FTE by staff group and organisation",
    publisher="NHS Digital",
    provenance=(
        "NHS Digital, HCHS staff by staff group, nationality and organisation, September 2017 and June 2018 "
        "(TechForUK/my_eu @ 109d3662be34a5357b658fca76213e68cf034177, data/nhs/input/), and NHS Workforce "
        "Statistics Core 1 (excerpt: ThomUK/claude-scratchpad @ a68512fced1e59c7b0afd0e3e3045df1dae92056, "
        "demand-and-capacity/source/) (OGL v3.0)"
    ),
    format="xlsx",
    partitioning="monthly",
    first_period="2009-09-01",
    columns=staff_fte_layouts.COLUMNS,
    period_column="data_month",
    period_from_value=month_start,
    is_total_row=staff_fte_layouts.is_staff_group_subtotal,
    missing_markers=frozenset(),
    parser=staff_fte_layouts.parse,
    detect=staff_fte_layouts.looks_like_staff_fte,
    sample_glob=(
        "workforce/staff_by_group_nationality/hchs-staff-by-staff-group-*.xlsx",
        "workforce/workforce_statistics_excerpt/Workforce-Core1-*.csv",
    ),
    index_url="https://digital.nhs.uk/data-and-information/publications/statistical/nhs-workforce-statistics",
    row_key=("org_code", "main_staff_group", "staff_group", "nationality"),
)

NHS_STAFF_EU_UK_HEADCOUNT = SourceSpec(
    key="nhs_staff_eu_uk_headcount",
    family="workforce",
    title="HCHS staff with an EU or UK nationality by staff group and organisation (headcount)",
    publisher="NHS Digital",
    provenance=(
        "NHS Digital, HCHS staff with an EU or UK nationality by staff group and organisation, September 2016 "
        "and April 2017; copies kept in TechForUK/my_eu @ 109d3662be34a5357b658fca76213e68cf034177, "
        "data/nhs/input/ (OGL v3.0)"
    ),
    format="xlsx",
    partitioning="monthly",
    first_period="2016-09-01",
    columns=hchs_nationality_tables.COLUMNS,
    period_column="data_month",
    period_from_value=month_start,
    is_total_row=lambda row: row.get("area_level") in ("england", "region"),
    parser=hchs_nationality_tables.parse,
    detect=hchs_nationality_tables.looks_like_hchs_nationality,
    sample_glob=(
        "workforce/staff_by_group_nationality/EU_and_UK_nationals_*.xlsx",
        "workforce/staff_by_group_nationality/HCHS_staff_with_an_EU_or_UK_*.xls",
    ),
    row_key=("org_code", "nationality_group", "staff_group"),
)

CORE3_COLUMNS = (
    Column("data_month", "text", ("DATA_MONTH",)),
    Column("data_level", "text", ("DATA_LEVEL",), required=False),
    Column("region_code", "text", ("NHSE_REGION_CODE",), required=False),
    Column("region_name", "text", ("NHSE_REGION_NAME",), required=False),
    Column("ics_code", "text", ("ICS_CODE",), required=False),
    Column("ics_name", "text", ("ICS_NAME",), required=False),
    Column("org_code", "text", ("ORG_CODE",)),
    Column("org_name", "text", ("ORG_NAME",)),
    Column("specialty_group", "text", ("SPECIALTY_GROUP",)),
    Column("specialty", "text", ("SPECIALTY",)),
    Column("staff_group", "text", ("STAFF_GROUP_1",)),
    Column("grade", "text", ("GRADE",)),
    _number("fte", "FTE"),
    Column("headcount", "integer", ("HEADCOUNT",)),
)

NHS_DOCTORS_BY_SPECIALTY = SourceSpec(
    key="nhs_doctors_by_specialty",
    family="workforce",
    title="HCHS doctors by specialty and grade (NHS Workforce Statistics, Core 3)",
    publisher="NHS Digital",
    provenance=(
        "NHS Digital, NHS Workforce Statistics Core 3 (excerpt: ThomUK/claude-scratchpad @ "
        "a68512fced1e59c7b0afd0e3e3045df1dae92056, demand-and-capacity/source/) (OGL v3.0)"
    ),
    format="csv",
    partitioning="monthly",
    first_period="2009-09-01",
    columns=CORE3_COLUMNS,
    period_column="data_month",
    period_from_value=month_start,
    missing_markers=frozenset(),
    sample_glob="workforce/workforce_statistics_excerpt/Workforce-Core3-*.csv",
    index_url="https://digital.nhs.uk/data-and-information/publications/statistical/nhs-workforce-statistics",
    row_key=("org_code", "specialty", "grade"),
)

# ---------------------------------------------------------------------------------------------
# Vacancies


def is_vacancy_total(row: dict[str, str]) -> bool:
    """England rows and `All staff groups` rows are the publisher's totals."""
    region = row.get("region_name", "").strip().casefold()
    code = row.get("region_code", "").strip().upper()
    group = row.get("staff_group", "").strip().casefold()
    return region == "england" or code.startswith("E92") or group == "all staff groups"


VACANCY_COLUMNS = (
    Column("period", "text", ("PERIOD", "Quarter", "Date"), description="Quarter (2022-23 Q1) or quarter-end date"),
    Column("region_code", "text", ("NHSE_REGION_CODE", "Region code", "NHS England region code")),
    Column("region_name", "text", ("NHSE_REGION_NAME", "Region", "NHS England region")),
    Column("staff_group", "text", ("STAFF_GROUP", "Staff group")),
    _number("vacancy_fte", "VACANCY_FTE", "Vacancies (FTE)", "Vacancy FTE", description="Vacant posts, FTE"),
    _number(
        "planned_workforce_fte",
        "PLANNED_WORKFORCE_FTE",
        "Planned workforce (FTE)",
        "Establishment (FTE)",
        required=False,
        description="Staff in post plus vacancies, FTE",
    ),
    _number("vacancy_rate_percent", "VACANCY_RATE", "VACANCY_RATE_PERCENT", "Vacancy rate (%)", "Vacancy rate"),
)

NHS_VACANCIES = SourceSpec(
    key="nhs_vacancies",
    family="workforce",
    title="NHS Vacancy Statistics (vacancies by staff group and region, quarterly)",
    publisher="NHS Digital",
    provenance=(
        "NHS Digital, NHS Vacancy Statistics England (NHS England's quarterly vacancy collection), "
        "vacancy FTE and rate by staff group and NHS England region (OGL v3.0). No real file is bundled."
    ),
    format="csv",
    partitioning="monthly",
    first_period="2017-06-01",
    columns=VACANCY_COLUMNS,
    period_column="period",
    period_from_value=quarter_end_month,
    is_total_row=is_vacancy_total,
    # Default markers: `*` and `[c]` suppressed, `-` and `..` not available -> NULL, as published.
    index_url="https://digital.nhs.uk/data-and-information/publications/statistical/nhs-vacancies-survey",
    row_key=("region_code", "staff_group"),
    sample_absent_because="no public copy was found; tests write files in the published layout",
)

# ---------------------------------------------------------------------------------------------
# NHS Staff Survey

NHS_STAFF_SURVEY = SourceSpec(
    key="nhs_staff_survey",
    family="workforce",
    title="NHS Staff Survey: organisation-level question results",
    publisher="NHS England (Survey Coordination Centre)",
    provenance="NHS Staff Survey organisation-level results (OGL v3.0). No real file is bundled.",
    format="xlsx",
    partitioning="financial_year",
    first_period="2018-19",
    columns=staff_survey_tables.COLUMNS,
    period_column="survey_year",
    period_from_value=lambda year: staff_survey_tables.survey_period(int(year)),
    parser=staff_survey_tables.parse,
    detect=staff_survey_tables.looks_like_staff_survey,
    index_url="https://www.nhsstaffsurveys.com/results/",
    row_key=("org_code", "question_code"),
    sample_absent_because="no public copy was found; tests build workbooks in the published layout",
)
