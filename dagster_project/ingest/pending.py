"""What is waiting to load: landed vintages that are not the vintage the warehouse holds.

The landing store (what arrived) and the warehouse's `meta.partition_loads` (what loaded) are the
two records; comparing them by checksum is all it takes. Nothing here reads a Dagster instance, so a
new instance over a built home (a move to PostgreSQL storage, a fresh `DAGSTER_HOME`) finds nothing
to do for files already loaded.
"""

from __future__ import annotations

from typing import Iterable

from dagster_project.ingest.landing import LandedFile, LandingStore


def pending_files(
    store: LandingStore, source_keys: Iterable[str], vintages: dict[tuple[str, str], str]
) -> dict[str, dict[str, LandedFile]]:
    """Per source, period -> the newest landed file of that period, where it is not the loaded vintage."""
    pending: dict[str, dict[str, LandedFile]] = {}
    for key in source_keys:
        waiting = {
            period: latest
            for period, latest in store.latest_by_period(key).items()
            if vintages.get((key, period)) != latest.sha256
        }
        if waiting:
            pending[key] = dict(sorted(waiting.items()))
    return pending
