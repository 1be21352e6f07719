"""The DuckDB/Spark row comparison (tests/support/parity.py), on a Parquet file standing in for Spark's table."""

from __future__ import annotations

import duckdb

from tests.support.parity import compare


def _tables(tmp_path, spark_built_at: str, spark_count: int = 7):
    con = duckdb.connect()
    con.execute(
        "create table duck_side as select * from (values "
        "('R1K', 7, timestamp '2026-11-23 10:00:00'), ('RWY', 3, timestamp '2026-11-23 10:00:00')) t(org_code, n, built_at)"
    )
    spark_dir = tmp_path / "spark"
    spark_dir.mkdir()
    con.execute(
        f"copy (select * from (values ('R1K', {spark_count}, timestamp '{spark_built_at}'), "
        f"('RWY', 3, timestamp '{spark_built_at}')) t(org_code, n, built_at)) to '{spark_dir}/part-0.parquet' (format parquet)"
    )
    return con, spark_dir


def test_a_per_build_column_must_exist_on_both_sides_but_its_values_are_not_compared(tmp_path):
    con, spark_dir = _tables(tmp_path, "2026-11-23 10:05:00")
    assert not compare(con, "t", "duck_side", spark_dir).equal  # built at another time: every row differs
    assert compare(con, "t", "duck_side", spark_dir, per_build={"built_at"}).equal


def test_a_per_build_column_does_not_hide_a_difference_in_the_data(tmp_path):
    con, spark_dir = _tables(tmp_path, "2026-11-23 10:05:00", spark_count=8)
    comparison = compare(con, "t", "duck_side", spark_dir, per_build={"built_at"})
    assert not comparison.equal and comparison.mismatched_rows == 1
