"""Compare a mart built on DuckDB with the same mart built on Spark, row for row.

Both sides are read by DuckDB: the DuckDB table from the warehouse file, the Spark table from the
Parquet files Spark wrote. Rows are paired by sorting both sides on every column (exact columns
first, then floating-point ones), so no mart needs a declared key. Exact columns (counts, codes,
names, dates, flags) must be equal; floating-point columns (rates, means, medians, FTE sums) equal
to within a relative tolerance, because two engines add up doubles in different orders.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
# Summing the same doubles in another order moves the last bits (DuckDB differs from itself by
# 1e-15 across two builds); 1e-9 relative is far below any published rounding (0.1 of a percent).
RELATIVE_TOLERANCE = 1e-9


@dataclass
class TableComparison:
    table: str
    duckdb_rows: int
    spark_rows: int
    columns: list[str]
    float_columns: list[str]
    missing_columns: list[str] = field(default_factory=list)  # in DuckDB, not in Spark
    extra_columns: list[str] = field(default_factory=list)  # in Spark, not in DuckDB
    type_differences: dict[str, tuple[str, str]] = field(default_factory=dict)
    mismatched_rows: int = 0
    examples: list[dict] = field(default_factory=list)
    max_abs_difference: dict[str, float] = field(default_factory=dict)
    max_rel_difference: dict[str, float] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        return (
            not self.missing_columns
            and not self.extra_columns
            and self.duckdb_rows == self.spark_rows
            and self.mismatched_rows == 0
        )

    def describe(self) -> str:
        lines = [f"{self.table}: {self.duckdb_rows} rows on DuckDB, {self.spark_rows} on Spark, {self.mismatched_rows} differ"]
        if self.missing_columns or self.extra_columns:
            lines.append(f"  columns only on DuckDB {self.missing_columns}, only on Spark {self.extra_columns}")
        for example in self.examples:
            lines.append(f"  {example}")
        return "\n".join(lines)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {name: type_ for name, type_, *_ in con.execute(f"describe select * from {relation}").fetchall()}


def compare(
    con: duckdb.DuckDBPyConnection,
    table: str,
    duckdb_relation: str,
    spark_dir: Path,
    examples: int = 5,
    per_build: Collection[str] = (),
) -> TableComparison:
    """Compare `duckdb_relation` (a table DuckDB can read) with the Parquet table in `spark_dir`.

    `per_build` columns (when the build ran) must exist on both sides; their values are not compared."""
    spark_relation = f"read_parquet('{Path(spark_dir)}/*.parquet')"
    duck_types = _columns(con, duckdb_relation)
    spark_types = _columns(con, spark_relation)
    shared = [c for c in duck_types if c in spark_types and c not in per_build]
    floats = [c for c in shared if duck_types[c].startswith(FLOAT_TYPES) or spark_types[c].startswith(FLOAT_TYPES)]
    exact = [c for c in shared if c not in floats]
    result = TableComparison(
        table=table,
        duckdb_rows=con.execute(f"select count(*) from {duckdb_relation}").fetchone()[0],
        spark_rows=con.execute(f"select count(*) from {spark_relation}").fetchone()[0],
        columns=shared,
        float_columns=floats,
        missing_columns=[c for c in duck_types if c not in spark_types],
        extra_columns=[c for c in spark_types if c not in duck_types],
        type_differences={c: (duck_types[c], spark_types[c]) for c in shared if duck_types[c] != spark_types[c]},
    )
    if not shared:
        return result

    # Values compared as DuckDB typed them (Spark's INT beside DuckDB's BIGINT is the same count).
    def side(relation: str, types: dict[str, str]) -> str:
        select = ", ".join(
            f"cast({_quote(c)} as {duck_types[c]}) as {_quote(c)}" if types[c] != duck_types[c] else _quote(c) for c in shared
        )
        order = ", ".join(f"{_quote(c)} nulls first" for c in exact + floats)
        return f"select {select}, row_number() over (order by {order}) as _pair from {relation}"

    equal_exact = " and ".join(f"d.{_quote(c)} is not distinct from s.{_quote(c)}" for c in exact) or "true"
    close_floats = (
        " and ".join(
            f"(d.{_quote(c)} is not distinct from s.{_quote(c)} or abs(d.{_quote(c)} - s.{_quote(c)}) "
            f"<= {RELATIVE_TOLERANCE} * greatest(1, abs(d.{_quote(c)})))"
            for c in floats
        )
        or "true"
    )
    # Column names repeat in the join (d.x, s.x): read them back by position.
    rows_sql = (
        f"with d as ({side(duckdb_relation, duck_types)}), s as ({side(spark_relation, spark_types)}) "
        f"select d._pair, s._pair, not (({equal_exact}) and ({close_floats})) as differs"
        + "".join(
            f", abs(d.{_quote(c)} - s.{_quote(c)}), abs(d.{_quote(c)} - s.{_quote(c)}) / greatest(abs(d.{_quote(c)}), 1e-300)"
            for c in floats
        )
        + " from d full join s on d._pair = s._pair"
    )
    differing = []
    for row in con.execute(rows_sql).fetchall():
        d_pair, s_pair, differs = row[:3]
        if d_pair is None or s_pair is None or differs:
            differing.append(d_pair or s_pair)
        for i, column in enumerate(floats):
            absolute, relative = row[3 + 2 * i], row[4 + 2 * i]
            if absolute is not None:
                result.max_abs_difference[column] = max(result.max_abs_difference.get(column, 0.0), absolute)
                result.max_rel_difference[column] = max(result.max_rel_difference.get(column, 0.0), relative)
    result.mismatched_rows = len(differing)
    for pair in differing[:examples]:
        d_row = con.execute(
            f"select * exclude (_pair) from ({side(duckdb_relation, duck_types)}) where _pair = ?", [pair]
        ).fetchone()
        s_row = con.execute(
            f"select * exclude (_pair) from ({side(spark_relation, spark_types)}) where _pair = ?", [pair]
        ).fetchone()
        d_values = dict(zip(shared, d_row, strict=True)) if d_row else {}
        s_values = dict(zip(shared, s_row, strict=True)) if s_row else {}
        # The pair's key columns, and every column that differs.
        shown = [c for c in shared if d_values.get(c) != s_values.get(c)] or shared
        result.examples.append(
            {"row": pair, **{c: (d_values.get(c), s_values.get(c)) for c in exact[:3] + [c for c in shown if c not in exact[:3]]}}
        )
    return result
