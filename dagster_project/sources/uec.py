"""Urgent and emergency care: NHS England's monthly A&E Attendances and Emergency Admissions.

One CSV a month at provider level (collection `MSitAE`): attendances by department type, waits over
four hours, decision-to-admit (DTA) waits, and emergency admissions. NHS England re-publishes months
as revised vintages, so the file name and checksum of every vintage are kept.
"""

from __future__ import annotations

import calendar
import re

from dagster_project.ingest.columns import Column
from dagster_project.ingest.spec import Cadence, SourceSpec

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name}


def month_from_period(value: str) -> str:
    """`MSitAE-APRIL-2020` (any case, with or without the collection prefix) -> `2020-04-01`."""
    match = re.fullmatch(r"(?:msitae[-_ ])?([a-z]+)[-_ ](\d{4})", value.strip().casefold())
    if not match or match.group(1) not in _MONTHS:
        raise ValueError("expected a period like MSitAE-APRIL-2020")
    return f"{int(match.group(2)):04d}-{_MONTHS[match.group(1)]:02d}-01"


def is_england_total(row: dict[str, str]) -> bool:
    """The publisher's England total row says TOTAL (or Total, TOTAl) where the org code would be."""
    return row.get("org_code", "").strip().casefold() == "total"


def _count(name: str, *spellings: str, required: bool = True, description: str = "") -> Column:
    return Column(name, "integer", spellings, required=required, description=description)


# Booked appointments are only in the 22-column layout (from August 2020); they are already
# included in the attendance counts, never added to them.
COLUMNS = (
    Column("period", "text", ("Period",), description="Publisher's period label, e.g. MSitAE-JUNE-2023"),
    Column("org_code", "text", ("Org Code", "Organisation Code"), description="ODS code of the reporting organisation"),
    Column(
        "parent_org", "text", ("Parent Org", "Parent Organisation"), description="NHS England region as the publisher names it"
    ),
    Column("org_name", "text", ("Org name", "Organisation Name")),
    _count("ae_attendances_type_1", "A&E attendances Type 1"),
    _count("ae_attendances_type_2", "A&E attendances Type 2"),
    _count("ae_attendances_other", "A&E attendances Other A&E Department", "A&E attendances Other Department"),
    _count("booked_attendances_type_1", "A&E attendances Booked Appointments Type 1", required=False),
    _count("booked_attendances_type_2", "A&E attendances Booked Appointments Type 2", required=False),
    _count("booked_attendances_other", "A&E attendances Booked Appointments Other Department", required=False),
    _count("over_4h_type_1", "Attendances over 4hrs Type 1"),
    _count("over_4h_type_2", "Attendances over 4hrs Type 2"),
    _count("over_4h_other", "Attendances over 4hrs Other Department", "Attendances over 4hrs Other A&E Department"),
    _count("booked_over_4h_type_1", "Attendances over 4hrs Booked Appointments Type 1", required=False),
    _count("booked_over_4h_type_2", "Attendances over 4hrs Booked Appointments Type 2", required=False),
    _count("booked_over_4h_other", "Attendances over 4hrs Booked Appointments Other Department", required=False),
    _count(
        "dta_waits_4_to_12h",
        "Patients who have waited 4-12 hs from DTA to admission",  # the publisher's own typo
        "Patients who have waited 4-12 hrs from DTA to admission",
    ),
    _count("dta_waits_over_12h", "Patients who have waited 12+ hrs from DTA to admission"),
    _count("emergency_admissions_type_1", "Emergency admissions via A&E - Type 1"),
    _count("emergency_admissions_type_2", "Emergency admissions via A&E - Type 2"),
    _count("emergency_admissions_other", "Emergency admissions via A&E - Other A&E department"),
    _count("other_emergency_admissions", "Other emergency admissions"),
)

UEC_AE_MONTHLY = SourceSpec(
    key="uec_ae_monthly",
    family="uec",
    title="A&E Attendances and Emergency Admissions (monthly, provider level)",
    publisher="NHS England",
    provenance=(
        "NHS England, A&E Attendances and Emergency Admissions, monthly provider-level CSV; copies kept "
        "in dd4real2k/nhs-ae-forecast @ c33461df2422e2beb14a9e07a1d98023e3d641af, data/raw/ (OGL v3.0)"
    ),
    format="csv",
    partitioning="monthly",
    first_period="2020-04-01",
    columns=COLUMNS,
    period_column="period",
    period_from_value=month_from_period,
    is_total_row=is_england_total,
    # The publisher writes 0, never a marker: anything non-numeric in a count is an error.
    missing_markers=frozenset(),
    sample_glob="uec/*.csv",
    index_url="https://www.england.nhs.uk/statistics/statistical-work-areas/ae-waiting-times-and-activity/",
    # Monthly provider files are named like Monthly-AE-June-2024.csv (revisions add -revised...).
    link_pattern=r"(?i)monthly-ae-[a-z]+-\d{4}[^/]*\.csv$",
    # Published monthly, about six weeks after the month ends; late after 75 days (as dbt's source freshness).
    cadence=Cadence("monthly", due_after_days=75),
    row_key=("org_code",),
)
