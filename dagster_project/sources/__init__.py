"""The publications the warehouse loads: one module per family, one SourceSpec per publication.

`SOURCES` is the registry every other part reads (assets, validation, CLI, sensors). Adding a
publication means adding its spec here, its suite in `expectations/`, its dbt source and staging
model and a sample (docs/adding-a-publication.md); `nhs-warehouse check-registry`
(`registry_check.py`) names whatever is missing or contradicts the spec.
"""

from __future__ import annotations

from dagster_project.ingest.spec import SourceSpec
from dagster_project.sources.ambsys import UEC_AMBSYS_MONTHLY
from dagster_project.sources.carers import ASCOF_COUNCIL_MEASURES, SACE_COUNCIL_TABLES
from dagster_project.sources.mental_health import MH_OAPS_MONTHLY
from dagster_project.sources.ratings import RATINGS_SPECS
from dagster_project.sources.uec import UEC_AE_MONTHLY
from dagster_project.sources.workforce import (
    NHS_DOCTORS_BY_SPECIALTY,
    NHS_SICKNESS_ABSENCE_MONTHLY,
    NHS_STAFF_EU_UK_HEADCOUNT,
    NHS_STAFF_FTE,
    NHS_STAFF_SURVEY,
    NHS_VACANCIES,
)

SOURCES: dict[str, SourceSpec] = {
    spec.key: spec
    for spec in (
        UEC_AE_MONTHLY,
        UEC_AMBSYS_MONTHLY,
        *RATINGS_SPECS,
        ASCOF_COUNCIL_MEASURES,
        SACE_COUNCIL_TABLES,
        NHS_SICKNESS_ABSENCE_MONTHLY,
        NHS_STAFF_FTE,
        NHS_STAFF_EU_UK_HEADCOUNT,
        NHS_DOCTORS_BY_SPECIALTY,
        NHS_VACANCIES,
        NHS_STAFF_SURVEY,
        MH_OAPS_MONTHLY,
    )
}


class UnknownSource(LookupError):
    """A source key that names no publication (the CLI says so in one line, exit status 2)."""


def get_source(key: str) -> SourceSpec:
    try:
        return SOURCES[key]
    except KeyError:
        raise UnknownSource(f"unknown source {key!r}; known: {', '.join(sorted(SOURCES))}") from None
