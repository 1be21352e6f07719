"""Mental health: NHS Digital's *Out of Area Placements in Mental Health Services* (OAPs), monthly.

The interim OAPs collection (October 2016 until OAPs moved into the Mental Health Services Data
Set) published one open-data CSV a month, in long format: one row per question (a measure, worded
as the publisher words it), breakdown (England, region, CCG, STP, sending or receiving provider,
bed type, reason, diagnosis, gender, Mental Health Act status) and value.

Quirks handled here and in `dbt/models/staging/mental_health/`:
- The header changes between months, so every column is read by name. Layouts:
  6 columns `Question, Breakdown1, Breakdown1Code, Breakdown2, Breakdown2Code, value` (October and
  November 2016: verified with the bundled files); 8 columns adding `Breakdown1Description` and
  `Breakdown2Description` (January 2017: its header was read from the copy in
  vfillis/out-of-area-placements, the file is not bundled; a test drops the two publication
  columns from February 2017 to build that layout); 10 columns adding `PublicationDate` and
  `PublicationPeriod` (February 2017: verified with the bundled file). Later months are not
  verified: a layout with these columns in any order and any extra column is read (extras are
  ignored with a warning); one missing a required column is quarantined naming it.
- Only the 10-column layout says its month (`PublicationPeriod`, `2017/02`); the older ones are
  read from the publisher's file name (`oaps-open-data-oct-2016.csv`).
- `*` is the publisher's suppression mark, and the only one: a blank value is an error, so a NULL
  value in the raw table always means suppressed.
- Costs are written in scientific notation (`5.03563e+006`) and shares as fractions (`0.852839`):
  values are read as numbers, never as integers.
- Questions are renamed and re-banded between months (distance bands of 20 km become 25 km): the
  cited seed `dbt/seeds/reference/oaps_questions.csv` maps every wording to a stable measure, and
  the gate quarantines a file with a question (or a breakdown) the seed does not know.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from dagster_project.ingest.columns import Column
from dagster_project.ingest.periods import month_start
from dagster_project.ingest.spec import Cadence, SourceSpec


def month_from_publication_period(value: str) -> str:
    """`2017/02` (PublicationPeriod) -> `2017-02-01`."""
    match = re.fullmatch(r"(\d{4})\s*[/-]\s*(\d{1,2})", str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError("expected a publication period like 2017/02")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-01"


def month_from_file_name(name: str) -> str:
    """`oaps-open-data-oct-2016.csv` (the publisher's name, in any folder) -> `2016-10-01`."""
    stem = PurePath(str(name)).name.rsplit(".", 1)[0]
    match = re.search(r"(?i)([a-z]+)[-_ ]?(\d{4})(?!.*\d{4})", stem)
    if not match:
        raise ValueError("expected a name ending in a month and year, like oaps-open-data-oct-2016.csv")
    return month_start(f"{match.group(1)}-{match.group(2)}")


COLUMNS = (
    Column(
        "publication_date",
        "text",
        ("PublicationDate",),
        required=False,
        description="When NHS Digital published the month (yyyy/mm); only in the 10-column layout",
    ),
    Column(
        "publication_period",
        "text",
        ("PublicationPeriod",),
        required=False,
        description="The month the figures cover (yyyy/mm); only in the 10-column layout",
    ),
    Column("question", "text", ("Question",), description="The measure, worded as the publisher words it that month"),
    Column(
        "breakdown1",
        "text",
        ("Breakdown1",),
        description="What the row is broken down by: England, Region (or region, in the region x gender rows), Ccg, Stp, SendingProvider, ...",
    ),
    Column(
        "breakdown1_code",
        "text",
        ("Breakdown1Code",),
        description="Code within breakdown1 (a region, CCG or provider code, a bed type number); `England` for the breakdown's all-England row; blank on the England row",
    ),
    Column(
        "breakdown1_description",
        "text",
        ("Breakdown1Description",),
        required=False,
        description="The publisher's name for breakdown1_code (from January 2017)",
    ),
    Column(
        "breakdown2",
        "text",
        ("Breakdown2",),
        description="Second breakdown within a region (BedType, Gender, ...), blank otherwise",
    ),
    Column("breakdown2_code", "text", ("Breakdown2Code",), description="Code within breakdown2; 0 for its all-categories row"),
    Column(
        "breakdown2_description",
        "text",
        ("Breakdown2Description",),
        required=False,
        description="The publisher's name for breakdown2_code (from January 2017)",
    ),
    Column(
        "value",
        "number",
        ("value",),
        description="The figure: a count, days, pounds (scientific notation in the file) or a share (a fraction); NULL where the publisher suppressed it (*)",
    ),
)

MH_OAPS_MONTHLY = SourceSpec(
    key="mh_oaps_monthly",
    family="mental_health",
    title="Out of Area Placements in Mental Health Services (monthly open data)",
    publisher="NHS Digital",
    provenance=(
        "NHS Digital, Out of Area Placements in Mental Health Services, monthly open-data CSV; copies kept in "
        "vfillis/out-of-area-placements @ 893f0af2c2a92d2d5cf7430663e10fc3ee7590a7 (files added in "
        "69e39cdc12dd76147d72df4273ed0ef4c0b83464), data/oaps-open-data-<mon>-<yyyy>.csv (OGL v3.0)"
    ),
    format="csv",
    partitioning="monthly",
    # The collection opened on 17 October 2016.
    first_period="2016-10-01",
    columns=COLUMNS,
    period_column="publication_period",
    period_from_value=month_from_publication_period,
    period_from_name=month_from_file_name,
    missing_markers=frozenset({"*"}),
    sample_glob="mental_health/oaps/*.csv",
    index_url="https://digital.nhs.uk/data-and-information/publications/statistical/out-of-area-placements-in-mental-health-services",
    # The open-data files are named like oaps-open-data-feb-2017.csv (as kept in the repository above).
    link_pattern=r"(?i)oaps-open-data-[a-z]+-\d{4}[^/]*\.csv$",
    # January 2017 was published on 3 March 2017, February 2017 in April 2017 (PublicationDate).
    cadence=Cadence("monthly", due_after_days=75),
    row_key=("question", "breakdown1", "breakdown1_code", "breakdown2", "breakdown2_code"),
)
