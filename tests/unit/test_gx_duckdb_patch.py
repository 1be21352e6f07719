"""The one GX adaptation: fails loudly if GX changes what it patches, or starts working without it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dagster_project.settings import EXPECTATIONS_DIR

SCRIPT = textwrap.dedent(
    """
    import sys, duckdb, great_expectations as gx
    path = sys.argv[1]
    con = duckdb.connect(path); con.execute("create table t as select range as v from range(100)"); con.close()
    if sys.argv[2] == "patched":
        from dagster_project.validation import gx_duckdb
        gx_duckdb.apply()
    ctx = gx.get_context(mode="ephemeral")
    ds = ctx.data_sources.add_sql(name="w", connection_string="duckdb:///" + path)
    batch = ds.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table("all")
    suite = ctx.suites.add(gx.ExpectationSuite(name="s", expectations=[
        gx.expectations.ExpectColumnValuesToBeBetween(column="v", min_value=0, max_value=99)]))
    result = ctx.validation_definitions.add(gx.ValidationDefinition(name="v", data=batch, suite=suite)).run()
    ds.get_execution_engine().close(); ds.get_engine().dispose()
    r = result.results[0]
    print("RESULT", r.success, r.result.get("element_count"))
    """
)


def _run(tmp_path, mode):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / f"{mode}.duckdb"), mode], capture_output=True, text=True, timeout=300
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT")]
    assert lines, out.stderr[-3000:]
    return lines[0]


@pytest.mark.slow
def test_gx_sql_path_on_duckdb_needs_the_patch_and_works_with_it(tmp_path):
    # If GX fixes DuckDB upstream, the first assertion fails: then delete validation/gx_duckdb.py.
    assert _run(tmp_path, "unpatched") == "RESULT False None"
    assert _run(tmp_path, "patched") == "RESULT True 100"


def test_every_suite_is_valid_gx_and_loses_no_expectation():
    from dagster_project.validation.gate import Gate, load_suite_json

    gate = Gate(EXPECTATIONS_DIR)  # no context is created just to build suites
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        suite_json = load_suite_json(path)
        suite = gate._suite(suite_json)
        assert len(suite.expectations) == len(suite_json["expectations"]), path.name


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "expect_column_values_to_be_between", "kwargs": {"min_value": 0}},  # no column
        {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "v"}},  # misspelt type
    ],
)
def test_an_invalid_expectation_is_an_error_not_a_silent_drop(tmp_path, bad):
    from dagster_project.validation.gate import Gate

    broken = {
        "name": "broken",
        "expectations": [
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "v", "min_value": 0}},
            bad,
        ],
    }
    with pytest.raises(ValueError, match="invalid"):
        Gate(tmp_path)._suite(broken)
