"""Declarative automation for the dbt models: marts follow raw data, no hand-written job chains.

`AutomationCondition.eager()` waits until no dependency is missing. A raw asset is partitioned by
month from its first period to today, and months not yet published count as missing, so an
unpartitioned model downstream of it would never run. These conditions keep eager's behaviour for
everything else and ignore missing *raw* partitions: a model runs when any dependency updated
(a new or revised month loaded), once nothing it needs is missing or in progress.
"""

from __future__ import annotations

from dagster import AssetSelection, AutomationCondition

RAW_ASSETS = AssetSelection.key_prefixes("raw")


def model_follows_upstream() -> AutomationCondition:
    """A dbt model: rebuild after any upstream update (raw partitions loaded, seeds, other models)."""
    return (
        AutomationCondition.any_deps_updated().since_last_handled()
        & ~AutomationCondition.any_deps_missing().ignore(RAW_ASSETS)
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("follows_upstream")
