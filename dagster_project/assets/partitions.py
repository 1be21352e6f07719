"""Partition schemes, declared once and shared by every source with the same scheme and start."""

from __future__ import annotations

import datetime as dt
from functools import cache

from dagster import (
    DynamicPartitionsDefinition,
    MonthlyPartitionsDefinition,
    PartitionsDefinition,
    StaticPartitionsDefinition,
)

from dagster_project.ingest.spec import SourceSpec


@cache
def monthly(start: str) -> MonthlyPartitionsDefinition:
    """Keys are month starts, `2023-06-01`, as `_period` holds them in raw tables."""
    return MonthlyPartitionsDefinition(start_date=start)


def financial_year_keys(first: str, today: dt.date | None = None) -> list[str]:
    """`2016-17` ... the financial year that ends after today (publishers release a year late)."""
    today = today or dt.date.today()
    first_year = int(first[:4])
    last_year = today.year if today.month >= 4 else today.year - 1
    return [f"{y}-{str(y + 1)[-2:]}" for y in range(first_year, last_year + 1)]


@cache
def financial_years(first: str) -> StaticPartitionsDefinition:
    return StaticPartitionsDefinition(financial_year_keys(first))


@cache
def snapshots_name(source_key: str) -> str:
    """The name of a source's snapshot partitions in the Dagster instance."""
    return f"{source_key}_snapshots"


def snapshots(source_key: str) -> DynamicPartitionsDefinition:
    """Snapshot partitions (e.g. a CQC ratings export date) are added as files arrive."""
    return DynamicPartitionsDefinition(name=snapshots_name(source_key))


def partitions_for(spec: SourceSpec) -> PartitionsDefinition:
    if spec.partitioning == "monthly":
        return monthly(spec.first_period or "2020-01-01")
    if spec.partitioning == "financial_year":
        return financial_years(spec.first_period or "2010-11")
    if spec.partitioning == "snapshot":
        return snapshots(spec.key)
    raise ValueError(f"{spec.key}: unknown partitioning {spec.partitioning!r}")


def register_snapshots(instance, spec: SourceSpec, keys: list[str]) -> list[str]:
    """Add snapshot keys the instance does not know yet; return the source's keys in Dagster's order.

    Snapshot partitions are dynamic: a run (or a range of keys) may only name keys the instance has,
    so every caller that loads a snapshot adds its key first.
    """
    name = snapshots_name(spec.key)
    known = instance.get_dynamic_partitions(name)
    new = [k for k in sorted(set(keys)) if k not in known]
    if new:
        instance.add_dynamic_partitions(name, new)
    return instance.get_dynamic_partitions(name)
