"""BI tools reach the published marts the way they really connect: SQLAlchemy with duckdb-engine
(Superset's path, and pandas'), and the official DuckDB command-line client.

The connection strings here are the ones the README gives under "Point a BI tool at the marts".
"""

from __future__ import annotations

import csv
import io
import subprocess

import duckdb
import pandas as pd
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from dagster_project.assets.dbt import published_models
from dagster_project.serving.publish import publish
from tests.integration.test_build import FIGURE_20, FIGURE_20_SQL, _uv

pytestmark = pytest.mark.slow

# The DuckDB 1.4 line is what Metabase's driver and the ODBC driver still bundle; the CLI is the
# official binary, published on PyPI by the DuckDB Foundation as `duckdb-cli`.
DUCKDB_CLI = "duckdb-cli==1.4.4.post2"


def superset_uri(serving_db) -> str:
    # What a user types into Superset's "SQLAlchemy URI": duckdb-engine passes query parameters to
    # DuckDB as configuration, so the file is opened read-only without any engine parameters.
    return f"duckdb:///{serving_db}?access_mode=read_only"


def test_superset_sqlalchemy_uri_reflects_and_queries_the_marts(built_home):
    engine = create_engine(superset_uri(built_home / "serving" / "marts.duckdb"), poolclass=NullPool)
    try:
        inspector = inspect(engine)
        # Superset lists views as datasets and reflects their columns (duckdb-engine's pg_catalog
        # path, which SQLAlchemy 2.1 breaks: docs/stack.md).
        views = set(inspector.get_view_names())
        assert {"mart_uec_region_month", "fct_ae_provider_month", "dim_icb", "dim_region", "dim_month"} <= views
        columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("mart_uec_region_month")}
        assert columns["dta_waits_over_12h"] == "BIGINT"
        assert columns["month_start"] == "DATE"
        assert "pct_dta_over_12h" in columns

        with engine.connect() as con:
            rows = {r.region_name: r for r in con.execute(text(FIGURE_20_SQL))}
        assert {
            region: (rows[region].dta_waits_over_12h, rows[region].emergency_admissions_via_ae) for region in FIGURE_20
        } == FIGURE_20
    finally:
        engine.dispose()


def test_pandas_reads_a_mart_through_sqlalchemy(built_home):
    engine = create_engine(superset_uri(built_home / "serving" / "marts.duckdb"), poolclass=NullPool)
    try:
        frame = pd.read_sql(text(FIGURE_20_SQL), engine)
    finally:
        engine.dispose()
    london = frame.set_index("region_name").loc["London"]
    assert london["dta_waits_over_12h"] == 5196 and london["emergency_admissions_via_ae"] == 53243


def test_a_bi_connection_cannot_change_the_published_marts(built_home):
    engine = create_engine(superset_uri(built_home / "serving" / "marts.duckdb"), poolclass=NullPool)
    try:
        for statement in ("create table scratch as select 1 as x", "drop view mart_uec_region_month"):
            with engine.connect() as con, pytest.raises(DBAPIError, match="read-only"):
                con.execute(text(statement))
        with engine.connect() as con:
            assert con.execute(text("select count(*) from mart_uec_region_month")).scalar() == 51 * 8
    finally:
        engine.dispose()


def test_connections_see_the_next_publication_once_the_process_lets_go_of_the_last(built_home, tmp_path):
    # Publish the built warehouse's marts into a serving folder of this test's own (publish only
    # reads the warehouse), then republish while SQLAlchemy engines are connected.
    serving_dir = tmp_path / "serving"
    warehouse = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    marts = [table for _, table in published_models()]
    version_sql = text("select version from _publication")
    try:
        first = publish(warehouse, marts, serving_dir, grace_s=0)
        uri = superset_uri(serving_dir / "marts.duckdb")
        unpooled = create_engine(uri, poolclass=NullPool)  # Superset's default for analytics databases
        pooled = create_engine(uri)  # duckdb-engine's default for a file: a QueuePool keeps it open
        with pooled.connect() as con:
            assert con.execute(version_sql).scalar() == first.version
        second = publish(warehouse, marts, serving_dir, grace_s=0)
    finally:
        warehouse.close()
    try:
        # The pool still has the first file open, so publish kept that version's Parquet for it.
        assert first.version in second.held_versions
        # DuckDB shares one database instance per path within a process: while any connection to
        # marts.duckdb is open, a new connection in the same process joins it and answers from the
        # same whole (older) publication.
        for engine in (pooled, unpooled):
            with engine.connect() as con:
                assert con.execute(version_sql).scalar() == first.version
                assert con.execute(text("select count(*) from mart_uec_region_month")).scalar() == 51 * 8
        # Once the process holds no connection, the next one opens the new file.
        pooled.dispose()
        for engine in (unpooled, pooled):
            with engine.connect() as con:
                assert con.execute(version_sql).scalar() == second.version
    finally:
        unpooled.dispose()
        pooled.dispose()


def test_the_duckdb_cli_reads_figure_20_read_only(built_home):
    # The official DuckDB CLI binary (1.4 line), run the way the README says: `duckdb -readonly`.
    uv = _uv()
    if uv is None:
        pytest.fail("uv is needed to install the DuckDB CLI for this test (make test bootstraps it into .tools/)")
    serving_db = str(built_home / "serving" / "marts.duckdb")
    cli = [uv, "run", "--isolated", "--no-project", "--with", DUCKDB_CLI, "duckdb", "-readonly", serving_db]
    result = subprocess.run([*cli, "-csv", "-c", FIGURE_20_SQL], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {r["region_name"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert {
        region: (int(rows[region]["dta_waits_over_12h"]), int(rows[region]["emergency_admissions_via_ae"]))
        for region in FIGURE_20
    } == FIGURE_20

    version = subprocess.run([*cli, "-csv", "-noheader", "-c", "select version()"], capture_output=True, text=True, timeout=300)
    assert version.stdout.strip().startswith("v1.4."), version.stdout

    refused = subprocess.run([*cli, "-c", "create table scratch as select 1"], capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "read-only" in (refused.stdout + refused.stderr)
