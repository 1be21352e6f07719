"""The report's key numbers explained: `nhs-warehouse explain` run for each, for a static page per
section (report/explain/<section>.html) that the section links to.

An explanation needs the warehouse the publication was built from (its lineage columns, loads,
validations and vintages) and the dbt manifest; a report written from a serving folder alone, or
while a load holds the warehouse, still gets its pages, each saying why the trace is missing and
the command that gives it.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.explain import ExplainError, explain
from dagster_project.reporting.sections import KeyNumber
from dagster_project.settings import Settings


@dataclass
class ExplainedNumber:
    key: KeyNumber
    result: dict | None = None
    error: str | None = None
    # The files that gave the explained period's rows: a file that covers many periods (AmbSYS holds
    # every month) is listed once per period loaded from it, and only the rows' own periods are shown.
    files: list[dict] = field(default_factory=list)


@contextlib.contextmanager
def _quiet_sqlglot():
    """sqlglot warns on every dbt construct its lineage cannot follow (UNPIVOT); explain already
    records that step as unexplained, so the warnings would only be noise in the CLI's output."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def explain_key_numbers(settings: Settings, manifest: Path | None, key_numbers: list[KeyNumber]) -> list[ExplainedNumber]:
    if not key_numbers:
        return []
    if not settings.warehouse_db.exists():
        reason = (
            f"the warehouse this publication was built from is not in this home ({settings.warehouse_db}), "
            "so the files, loads and checks behind the number cannot be read here; run the command where it is"
        )
        return [ExplainedNumber(key, error=reason) for key in key_numbers]
    if manifest is None:
        reason = "no dbt manifest to trace the models with: prepare the dbt project with `make install`"
        return [ExplainedNumber(key, error=reason) for key in key_numbers]
    explained = []
    for key in key_numbers:
        try:
            with _quiet_sqlglot():
                result = explain(settings, manifest, key.mart, key.where, key.column).as_dict()
        except ExplainError as exc:
            explained.append(ExplainedNumber(key, error=str(exc)))
            continue
        except duckdb.Error as exc:
            explained.append(ExplainedNumber(key, error=str(exc).splitlines()[0]))
            continue
        # explain traces a file holding many periods (an AmbSYS release) for the rows' own periods only.
        explained.append(ExplainedNumber(key, result, files=result["files"]))
    return explained
