"""BI tools read what the dbt YAML says: the serving DB's views and columns carry it as comments."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from dagster_project.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.slow


def serving(home):
    return duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True)


def test_a_mart_view_and_its_columns_carry_the_yaml_descriptions(built_home):
    models = yaml.safe_load((DBT_PROJECT_DIR / "models/marts/uec/_uec__models.yml").read_text())["models"]
    (mart,) = [m for m in models if m["name"] == "mart_uec_region_month"]
    con = serving(built_home)
    try:
        (comment,) = con.execute("select comment from duckdb_views() where view_name = 'mart_uec_region_month'").fetchone()
        assert comment == " ".join(mart["description"].split())
        comments = dict(
            con.execute("select column_name, comment from duckdb_columns() where table_name = 'mart_uec_region_month'").fetchall()
        )
    finally:
        con.close()
    described = {c["name"]: " ".join(c["description"].split()) for c in mart["columns"] if c.get("description")}
    assert described and all(comments[name] == text for name, text in described.items())


def test_every_view_and_every_column_in_the_serving_db_has_a_comment(built_home):
    con = serving(built_home)
    try:
        views = con.execute("select view_name from duckdb_views() where not internal and comment is null").fetchall()
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() where not internal and comment is null order by 1, 2"
        ).fetchall()
    finally:
        con.close()
    assert views == []
    assert columns == [], f"{len(columns)} columns without a description in the dbt YAML: {columns[:20]}"
