"""Run an expectation suite against one staged partition, damaged on purpose, through the real gate.

A case stages a good partition (from a real sample or a constructed file) into a pending DuckDB file
exactly as a load would, applies SQL that breaks one promise, and validates it with the GX gate.
`expectation_key` names an expectation the same way from the suite's JSON and from the gate's
outcome, so a test can prove that every expectation in a suite has a fixture that makes it fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.ingest.landing import LandedFile
from dagster_project.ingest.load import stage
from dagster_project.ingest.spec import SourceSpec
from dagster_project.validation.gate import Gate, GateResult


@dataclass(frozen=True)
class Damage:
    """SQL that breaks one promise of a suite, and the expectation that must then fail."""

    name: str
    sql: tuple[str, ...]
    fails: str  # an expectation_key
    previous_rows: int | None = None


def expectation_key(type_: str, column: str | None, description: str | None) -> str:
    return f"{type_}|{column or description or ''}"


def suite_keys(spec: SourceSpec) -> set[str]:
    suite = json.loads(Path(spec.suite_path).read_text())
    return {expectation_key(e["type"], e["kwargs"].get("column"), e["kwargs"].get("description")) for e in suite["expectations"]}


def failed_keys(result: GateResult) -> set[str]:
    return {
        expectation_key(o.expectation, o.column, o.expected if o.expectation == "unexpected_rows_expectation" else None)
        for o in result.failures
    }


class StagedGate:
    """Stages frames for one spec and validates them; one GX context for all cases of a module."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.gate = Gate(self.folder / "validation")

    def validate(self, spec: SourceSpec, frames: dict, period: str, damage: Damage | None = None) -> GateResult:
        landed = LandedFile(
            source=spec.key, sha256="0" * 64, size=0, original_name="fixture", stored_name="fixture", fetched_at=""
        )
        staged = stage(spec, period, landed, frames, self.folder / "pending")
        if damage is not None:
            con = duckdb.connect(str(staged.pending_db))
            try:
                for statement in damage.sql:
                    con.execute(statement)
            finally:
                con.close()
        return self.gate.validate(staged, spec.suite_path, damage.previous_rows if damage else None)


def described(spec: SourceSpec, words: str) -> str:
    """The key of the one unexpected-rows expectation whose description contains `words`."""
    suite = json.loads(Path(spec.suite_path).read_text())
    found = [
        expectation_key(e["type"], None, e["kwargs"]["description"])
        for e in suite["expectations"]
        if words.casefold() in e["kwargs"].get("description", "").casefold()
    ]
    assert len(found) == 1, f"{spec.key}: {len(found)} expectations described by {words!r}"
    return found[0]


def first_row(table: str, where: str = "true") -> str:
    return f"_row_number = (select min(_row_number) from {table} where {where})"


def null(table: str, column: str) -> Damage:
    return Damage(
        f"{column} blank",
        (f"update {table} set {column} = null where {first_row(table)}",),
        expectation_key("expect_column_values_to_not_be_null", column, None),
    )


def drop_column(table: str, column: str) -> Damage:
    return Damage(f"no {column} column", (f"alter table {table} drop column {column}",), "expect_table_columns_to_match_set|")


def wrong_partition(table: str) -> Damage:
    return Damage(
        "row of another partition",
        (f"update {table} set _period = 'elsewhere' where {first_row(table)}",),
        "expect_column_values_to_be_in_set|_period",
    )


def duplicate_row(table: str, fails: str) -> Damage:
    return Damage("duplicated row", (f"insert into {table} select * from {table} where {first_row(table)}",), fails)


# Every suite's row-count band, one query over the staged partitions and their bands (`_row_bounds`).
ROW_BAND = expectation_key(
    "unexpected_rows_expectation",
    None,
    "Each partition's row count lies in its band: at least one row, and within the suite's row_count_band of the partition before it",
)


def empty(table: str) -> Damage:
    return Damage("no rows", (f"delete from {table}",), ROW_BAND)


def between_key(column: str) -> str:
    return expectation_key("expect_column_values_to_be_between", column, None)


class Warehouse:
    """A warehouse home driven without Dagster: files go through intake, landing, the loader and
    the gate exactly as `nhs-warehouse build` sends them, and the DuckDB file can be inspected."""

    def __init__(self, home: Path) -> None:
        from dagster_project.ingest.landing import LandingStore

        self.home = Path(home)
        self.store = LandingStore(self.home / "landing", self.home / "quarantine")
        self.gate = Gate(self.home / "validation")
        self.db = self.home / "warehouse.duckdb"

    def take(self, spec: SourceSpec, path: Path):
        """Intake one file, then load every period it covers; returns (intake result, outcomes)."""
        from dagster_project.ingest.intake import intake
        from dagster_project.ingest.partitions import PartitionLoader
        from dagster_project.sources import SOURCES
        from dagster_project.warehouse import open_warehouse

        taken = intake(Path(path), self.store, SOURCES.values(), spec=spec)
        outcomes = []
        if taken.ok:
            loader = PartitionLoader(spec, self.store, self.gate, self.home / "pending")
            with open_warehouse(self.db) as con:
                outcomes = [loader.load(con, period) for period in taken.periods]
        return taken, outcomes

    def query(self, sql: str, params=None) -> list[tuple]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def run_dbt_tests(warehouse_db: Path, work: Path, select: list[str]) -> dict[str, str]:
    """Run the named dbt tests against a copy of a built warehouse file: test name -> status.

    dbt writes to a target folder of its own under `work`, so the project's manifest (which
    Dagster reads) is untouched."""
    import shutil
    import subprocess
    import sys

    from dagster_project.settings import DBT_PROJECT_DIR

    db = Path(work) / "warehouse.duckdb"
    if not db.exists():
        shutil.copyfile(warehouse_db, db)
    dbt = Path(sys.executable).parent / "dbt"
    target = Path(work) / "dbt-target"
    result = subprocess.run(
        [
            str(dbt),
            "test",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--select",
            *select,
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "NHS_WAREHOUSE_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    # The project's on-run-start hook reports in run_results.json too; only the tests are asked about.
    statuses = {r["unique_id"].split(".")[2]: r["status"] for r in results if r["unique_id"].startswith("test.")}
    assert statuses, result.stdout + result.stderr
    return statuses
