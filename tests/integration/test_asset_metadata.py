"""What the asset catalog shows after a build: every table's row count, column schema (DuckDB's types,
the YAML's or the spec's descriptions) and table name on its latest materialisation, and owners.

Read from the Dagster instance the build wrote to, and checked against the warehouse itself.
"""

from __future__ import annotations

import duckdb
import pytest
from dagster import AssetKey

from dagster_project.assets.table_metadata import FAMILY_OWNERS, PLATFORM_OWNERS
from dagster_project.settings import load_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def instance_and_warehouse(built_home, monkeypatch_module):
    monkeypatch_module.setenv("NHS_WAREHOUSE_HOME", str(built_home))
    from dagster_project.runner import get_instance

    settings = load_settings()
    con = duckdb.connect(str(settings.warehouse_db), read_only=True)
    yield get_instance(settings), con
    con.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def published_tables(con) -> list[tuple[str, str]]:
    """Every dbt mart in the warehouse and every source's raw table (a source's side tables, e.g. a
    CQC capture's ratings, are written by the same asset and not assets of their own)."""
    from dagster_project.sources import SOURCES

    marts = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema = 'marts' and table_catalog = 'warehouse' order by 2"
    ).fetchall()
    return marts + [("raw", key) for key in sorted(SOURCES)]


def test_every_mart_and_raw_table_materialisation_carries_its_row_count_and_column_schema(instance_and_warehouse):
    instance, con = instance_and_warehouse
    tables = published_tables(con)
    assert len([t for t in tables if t[0] == "marts"]) >= 15 and len([t for t in tables if t[0] == "raw"]) >= 10
    checked = 0
    for schema, table in tables:
        event = instance.get_latest_materialization_event(AssetKey([schema, table]))
        if event is None:  # a source with no sample (e.g. the carers survey tables) has never loaded
            assert schema == "raw" and con.execute(f'select count(*) from raw."{table}"').fetchone() == (0,), table
            continue
        metadata = event.asset_materialization.metadata
        (rows,) = con.execute(f'select count(*) from {schema}."{table}"').fetchone()
        assert metadata["dagster/row_count"].value == rows, (schema, table)
        assert metadata["dagster/table_name"].value == f"warehouse.{schema}.{table}"
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        shown = [(c.name, c.type) for c in metadata["dagster/column_schema"].value.columns]
        assert shown == columns, (schema, table)
        checked += 1
    assert checked >= 20


def test_every_published_mart_shows_a_preview_of_its_rows(instance_and_warehouse):
    """The asset page's preview: the mart's first rows, every column, values as the warehouse has them."""
    instance, con = instance_and_warehouse
    from dagster_project.assets.dbt import published_models

    shown = 0
    for key, table in published_models():
        event = instance.get_latest_materialization_event(key)
        (rows,) = con.execute(f"select count(*) from {table}").fetchone()
        preview = event.asset_materialization.metadata.get("preview")
        if rows == 0:  # nothing to show (mart_revisions before any revision)
            assert preview is None, table
            continue
        records = [record.data for record in preview.value.records]
        assert len(records) == min(rows, 10), table
        names = [c[0] for c in con.execute(f"select * from {table} limit 0").description]
        assert [c.name for c in preview.value.schema.columns] == names and all(set(r) == set(names) for r in records), table
        # Each previewed row is a row of the mart (compared as text: dates and decimals are shown as text).
        first = con.execute(f"select * from {table} limit 1").fetchone()
        assert [None if records[0][n] is None else str(records[0][n]) for n in names] == [
            None if v is None else str(v) for v in first
        ], table
        shown += 1
    assert shown >= 15


def test_descriptions_come_from_the_yaml_and_the_spec(instance_and_warehouse):
    instance, _ = instance_and_warehouse
    mart = instance.get_latest_materialization_event(AssetKey(["marts", "mart_uec_region_month"]))
    described = {c.name: c.description for c in mart.asset_materialization.metadata["dagster/column_schema"].value.columns}
    assert "12 hours" in described["dta_waits_over_12h"]
    raw = instance.get_latest_materialization_event(AssetKey(["raw", "uec_ae_monthly"]))
    described = {c.name: c.description for c in raw.asset_materialization.metadata["dagster/column_schema"].value.columns}
    assert described["org_code"] == "ODS code of the reporting organisation"
    assert described["_file_sha256"].startswith("sha256 of that file")


def test_assets_name_their_owners_by_family():
    from dagster_project.definitions import defs

    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    assert specs["raw/uec_ae_monthly"].owners == FAMILY_OWNERS["uec"]
    assert specs["marts/mart_uec_region_month"].owners == FAMILY_OWNERS["uec"]
    assert specs["marts/mart_workforce_region_month"].owners == FAMILY_OWNERS["workforce"]
    assert specs["marts/dim_region"].owners == PLATFORM_OWNERS
