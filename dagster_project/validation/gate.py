"""Run a source's expectation suite against a staged partition, through GX's SQL path on DuckDB.

The gate validates the pending DuckDB file that `ingest.load.stage()` wrote, so it never touches the
warehouse file (no lock contention with the writer) and a failing load is never visible in `raw.*`.
Suites live in `expectations/<source>.json` (GX 1.x serialisation, reviewed like code). Results are
kept under `$NHS_WAREHOUSE_HOME/validation/` and rendered as Data Docs there.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_project.ingest.load import StagedLoad
from dagster_project.validation.gx_imports import import_gx


# What the gate expects of the staged table when there is no previous partition to compare with.
UNBOUNDED_ROWS = 10**12
# The Data Docs index lists this many latest validations (every validation keeps its own page): GX
# reads each listed result to draw the index, so an unlimited index costs more with every load.
DOCS_INDEX_LIMIT = 200


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    observed: str
    expected: str
    promise: str

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        return f"{self.expectation}{where}: observed {self.observed}; expected {self.expected}"


@dataclass
class GateResult:
    suite: str
    success: bool
    outcomes: list[ExpectationOutcome]
    docs_path: Path | None = None
    seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {len(self.outcomes)} expectations passed"
        return f"{self.suite}: {len(self.failures)} of {len(self.outcomes)} expectations failed: " + "; ".join(
            f.describe() for f in self.failures[:5]
        )


# Placeholders a suite's SQL may use besides GX's own `{batch}`, filled in before GX sees the
# query. `{reference_dir}` lets a suite check codes against a reference list kept once as a dbt seed
# (e.g. `read_csv('{reference_dir}/ons_local_authorities.csv')`), instead of copying the list.
def query_placeholders() -> dict[str, str]:
    from dagster_project.settings import REFERENCE_DIR

    return {"{reference_dir}": REFERENCE_DIR.as_posix()}


def _fill_placeholders(suite: dict) -> dict:
    placeholders = query_placeholders()
    for expectation in suite["expectations"]:
        kwargs = expectation.get("kwargs", {})
        query = kwargs.get("unexpected_rows_query")
        if isinstance(query, str):
            for placeholder, value in placeholders.items():
                query = query.replace(placeholder, value)
            kwargs["unexpected_rows_query"] = query
    return suite


def load_suite_json(path: Path) -> dict:
    try:
        suite = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"no expectation suite at {path}") from None
    if not suite.get("expectations"):
        raise ValueError(f"{path}: suite has no expectations")
    return _fill_placeholders(suite)


def row_count_bounds(suite: dict, previous_rows: int | None) -> tuple[int, int]:
    """The band a partition's row count must fall in, relative to the previous partition's."""
    band = float(suite.get("meta", {}).get("row_count_band", 0) or 0)
    if previous_rows is None or band <= 0:
        return 1, UNBOUNDED_ROWS
    return max(1, int(previous_rows * (1 - band))), int(previous_rows * (1 + band)) + 1


# The staged partitions' row-count bands, written beside the staged rows for the suites to read:
# a suite checks every staged partition against its own band in one query (`_row_bounds`).
ROW_BOUNDS_TABLE = "_row_bounds"


def write_row_bounds(staged: StagedLoad, bounds: dict[str, tuple[int, int]]) -> None:
    import duckdb

    con = duckdb.connect(str(staged.pending_db))
    try:
        con.execute(f"create or replace table {ROW_BOUNDS_TABLE} (_period varchar, min_rows bigint, max_rows bigint)")
        con.executemany(f"insert into {ROW_BOUNDS_TABLE} values (?, ?, ?)", [[p, lo, hi] for p, (lo, hi) in bounds.items()])
    finally:
        con.close()


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _observed(result: dict) -> str:
    if "observed_value" in result:
        return _short(result["observed_value"])
    if "unexpected_count" in result:
        sample = result.get("partial_unexpected_list") or []
        return _short(f"{result['unexpected_count']} unexpected" + (f", e.g. {sample[:5]}" if sample else ""))
    if "details" in result:
        return _short(result["details"])
    return _short(result) if result else "(no result)"


def _exception(info: dict | None) -> str | None:
    """GX reports errors either flat or keyed by metric; find the message either way."""
    if not info:
        return None
    if info.get("raised_exception") or info.get("exception_message"):
        return info.get("exception_message") or "raised an exception"
    for value in info.values():
        if isinstance(value, dict) and (value.get("raised_exception") or value.get("exception_message")):
            return value.get("exception_message") or "raised an exception"
    return None


def _expected(kwargs: dict, description: str | None = None) -> str:
    shown = {
        k: v
        for k, v in kwargs.items()
        if k not in ("column", "batch_id", "unexpected_rows_query", "description", "result_format")
    }
    # GX 1.x keeps an expectation's description on the expectation, not in its kwargs.
    description = description or kwargs.get("description")
    if description:
        return description
    return _short(shown) if shown else "(as named)"


def _unexpected_rows_sample(staged: StagedLoad, kwargs: dict, result, limit: int = 5) -> str | None:
    """For a failed `unexpected_rows_expectation`, the offending rows themselves (GX's SUMMARY format
    reports only their count), read from the staged partition, so an alert shows observed values."""
    query = kwargs.get("unexpected_rows_query")
    if result.success or not query:
        return None
    import duckdb

    count = (result.result or {}).get("observed_value")
    try:
        con = duckdb.connect(str(staged.pending_db), read_only=True)
        try:
            cursor = con.execute(f"select * from ({query.replace('{batch}', staged.pending_table(''))}) limit {limit}")
            columns = [d[0] for d in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()
    except duckdb.Error:
        return None
    return _short(f"{count} unexpected rows: {json.dumps(rows, default=str)}", limit=600)


class Gate:
    """One GX context per warehouse home and process, created on first use (GX takes seconds to import)."""

    def __init__(self, validation_dir: Path) -> None:
        self.validation_dir = Path(validation_dir)
        self._context = None
        self._checkpoints: dict[str, tuple] = {}
        # Validation results (and their suites) stored since Data Docs were last built.
        self._undocumented: list = []

    @property
    def context(self):
        """An in-memory GX project whose only files are validation results and Data Docs.

        A file-backed GX project rewrites `great_expectations.yml` (and suite, checkpoint and
        definition JSON) in place on every start and registration; a process killed mid-write
        leaves a truncated file that fails every later start (the SIGKILL loop in
        tests/reliability/test_kill_loop.py found an empty great_expectations.yml). Datasources,
        suites and checkpoints are registered from `expectations/` by every process anyway, so only
        results and docs need disk, each result a file of its own.
        """
        if self._context is None:
            gx = import_gx()
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            self.validation_dir.mkdir(parents=True, exist_ok=True)
            defaults = InMemoryStoreBackendDefaults()
            stores = dict(defaults.stores)
            stores[defaults.validation_results_store_name] = {
                "class_name": "ValidationResultsStore",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.results_dir)},
            }
            config = DataContextConfig(
                store_backend_defaults=defaults,
                stores=stores,
                data_docs_sites={
                    "local_site": {
                        "class_name": "SiteBuilder",
                        "show_how_to_buttons": False,
                        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.docs_dir)},
                        "site_index_builder": {
                            "class_name": "DefaultSiteIndexBuilder",
                            "validation_results_limit": DOCS_INDEX_LIMIT,
                        },
                    }
                },
                analytics_enabled=False,
                # tqdm bars per metric would flood run logs (51 months x 45 expectations).
                progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            )
            self._context = gx.get_context(mode="ephemeral", project_config=config)
        return self._context

    @property
    def results_dir(self) -> Path:
        return self.validation_dir / "gx" / "uncommitted" / "validations"

    @property
    def docs_dir(self) -> Path:
        return self.validation_dir / "gx" / "uncommitted" / "data_docs" / "local_site"

    @property
    def docs_index(self) -> Path:
        return self.docs_dir / "index.html"

    def build_docs(self) -> Path:
        """Render GX Data Docs pages for the validations this gate ran since the last build, and the index.

        Only new pages: re-rendering every stored result (GX's default) costs more with each load.
        """
        new, self._undocumented = self._undocumented, []
        if new:
            # An empty list would mean "everything" to GX.
            self.context.build_data_docs(resource_identifiers=list(dict.fromkeys(new)))
        return self.docs_index

    def _suite(self, suite_json: dict):
        gx = import_gx()

        try:
            suite = gx.ExpectationSuite(
                name=suite_json["name"], expectations=suite_json["expectations"], meta=suite_json.get("meta", {})
            )
        except Exception as exc:  # GX raises pydantic errors for bad kwargs
            raise ValueError(f"suite {suite_json['name']}: an expectation is invalid for GX: {exc}") from exc
        # GX drops an invalid expectation with only a log line; a gate must not silently shrink.
        if len(suite.expectations) != len(suite_json["expectations"]):
            raise ValueError(
                f"suite {suite_json['name']}: {len(suite_json['expectations']) - len(suite.expectations)} "
                "expectations are invalid for GX (see the log)"
            )
        return suite

    def _checkpoint(self, staged: StagedLoad, suite_json: dict):
        """Register the source's datasource, suite and checkpoint once per gate (in memory: see `context`)."""
        gx = import_gx()

        key = (staged.spec.key, str(staged.pending_db), json.dumps(suite_json, sort_keys=True))
        cached = self._checkpoints.get(staged.spec.key)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        context = self.context
        name = staged.spec.key
        datasource = context.data_sources.add_or_update_sql(
            name=f"pending_{name}", connection_string=f"duckdb:///{staged.pending_db}"
        )
        asset = datasource.add_table_asset(name=name, table_name=staged.pending_table(""))
        batch_definition = asset.add_batch_definition_whole_table("staged_partition")
        suite = context.suites.add_or_update(self._suite(suite_json))
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"{name}_gate", data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"{name}_checkpoint",
                validation_definitions=[definition],
                # Data Docs are rebuilt once per batch of loads (`build_docs`), not per validation:
                # rebuilding renders every stored result, which grows with history.
                actions=[],
                result_format={"result_format": "SUMMARY"},
            )
        )
        self._checkpoints[name] = (key, checkpoint, datasource)
        return checkpoint, datasource

    def validate(self, staged: StagedLoad, suite_path: Path, previous_rows: int | None | dict[str, int | None]) -> GateResult:
        """Validate every staged partition in one pass. `previous_rows` is, per staged period (or for
        the one staged partition), the row count of the partition before it: the row-count band's base."""
        gx = import_gx()

        started = time.perf_counter()
        suite_json = load_suite_json(suite_path)
        if not isinstance(previous_rows, dict):
            previous_rows = {staged.period: previous_rows}
        bounds = {period: row_count_bounds(suite_json, previous_rows.get(period)) for period in staged.periods}
        write_row_bounds(staged, bounds)
        parameters = {"partition_periods": staged.periods}
        from great_expectations.exceptions.resource_freshness import ResourceFreshnessAggregateError

        name = staged.spec.key
        periods = staged.periods
        label = periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]} ({len(periods)} partitions)"
        files = sorted({part.landed.sha256[:12] for part in staged.parts})
        run_id = gx.RunIdentifier(run_name=f"{name} {label} {files[0] if len(files) == 1 else f'{len(files)} files'}")
        checkpoint, datasource = self._checkpoint(staged, suite_json)
        try:
            try:
                run = checkpoint.run(expectation_parameters=parameters, run_id=run_id)
            except ResourceFreshnessAggregateError:
                # Another process (a CLI build beside the daemon) re-saved the suite in the shared
                # GX project since we cached it: register again from the suite file and retry once.
                self._checkpoints.pop(name, None)
                checkpoint, datasource = self._checkpoint(staged, suite_json)
                run = checkpoint.run(expectation_parameters=parameters, run_id=run_id)
        finally:
            # GX keeps SQLAlchemy engines open on the file; release them so the next writer can lock it.
            try:
                datasource.get_execution_engine().close()
            finally:
                datasource.get_engine().dispose()
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        for key in run.run_results:
            self._undocumented += [key, ExpectationSuiteIdentifier(name=key.expectation_suite_identifier.name)]
        outcomes: list[ExpectationOutcome] = []
        for validation in run.run_results.values():
            for r in validation.results:
                config = r.expectation_config
                kwargs = dict(config.kwargs)
                exception = _exception(r.exception_info)
                outcomes.append(
                    ExpectationOutcome(
                        expectation=config.type,
                        column=kwargs.get("column"),
                        success=bool(r.success),
                        observed=(
                            f"error: {_short(exception)}"
                            if exception
                            else _unexpected_rows_sample(staged, kwargs, r) or _observed(r.result or {})
                        ),
                        expected=_expected(kwargs, getattr(config, "description", None)),
                        promise=(config.meta or {}).get("promise", ""),
                    )
                )
        return GateResult(
            suite=name,
            success=bool(run.success),
            outcomes=outcomes,
            docs_path=self.docs_index,
            seconds=time.perf_counter() - started,
            parameters=parameters | {"row_bounds": bounds},
        )
