"""The marts a build writes are the marts the YAML documents: every column a model produces is
listed with a description, in the YAML's order and with the YAML's type (what dbt's contracts
promise, checked here on the built warehouse itself)."""

from __future__ import annotations

import duckdb
import pytest

from tests.support.dbt_docs import load_manifest, mart_models, undocumented_columns

pytestmark = pytest.mark.slow


def _built_columns(built_home, manifest) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        return {
            node["name"]: con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [node["schema"], node["alias"] or node["name"]],
            ).fetchall()
            for node in mart_models(manifest)
        }
    finally:
        con.close()


def test_every_column_a_mart_produces_is_documented_and_typed_as_built(built_home):
    manifest = load_manifest()
    built = _built_columns(built_home, manifest)
    assert all(built.values()), [name for name, columns in built.items() if not columns]
    assert undocumented_columns(manifest, {name: [c for c, _ in columns] for name, columns in built.items()}) == []
    # The YAML's type, as DuckDB reads it (`string` is VARCHAR), is the built column's type, in order.
    for node in mart_models(manifest):
        declared = [
            (name, str(duckdb.sql(f"select cast(null as {column['data_type']})").types[0]))
            for name, column in node["columns"].items()
        ]
        assert built[node["name"]] == declared, node["name"]
