"""The publications the warehouse loads: one module per family, one SourceSpec per publication.

`SOURCES` is the registry every other part reads (assets, validation, CLI, sensors). Adding a
publication means adding its spec here, its suite in `expectations/`, its staging model and a sample.
"""

from __future__ import annotations

from dagster_project.ingest.spec import SourceSpec
from dagster_project.sources.ratings import RATINGS_SPECS
from dagster_project.sources.uec import UEC_AE_MONTHLY

SOURCES: dict[str, SourceSpec] = {spec.key: spec for spec in (UEC_AE_MONTHLY, *RATINGS_SPECS)}


def get_source(key: str) -> SourceSpec:
    try:
        return SOURCES[key]
    except KeyError:
        raise KeyError(f"unknown source {key!r}; known: {', '.join(sorted(SOURCES))}") from None
