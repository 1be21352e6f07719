"""`nhs-warehouse explain`: a published number traced to the files, rows and vintages that made it.

Reads the serving DB (the mart rows), the dbt manifest (the models beneath the mart and the SQL that
computes a column) and the warehouse (lineage columns, `meta.partition_loads`, `raw_history`,
`meta.validation_results`, `meta.load_failures`), all read-only, with no Dagster run.

How a mart row reaches its raw rows. Every fact model carries its rows' lineage
(`source_file_sha256`, from the raw layer's `_file_sha256`) and its source's row key (the spec's
`row_key`, e.g. `org_code`). A mart that aggregates a fact says in its YAML which fact rows make one
of its rows:

    meta:
      explain:
        rows_from: fct_ae_provider_month
        match: "f.month_start = m.month_start and (m.is_england or f.region_code = m.region_code)"

(`m` the mart row, `f` the fact row). The fact rows matched name the files (by sha256) and the row
keys; the raw rows are those of each file with those keys, in `raw.<source>` for the current vintage
and `raw_history.<source>` for earlier ones. A fact model explains itself (`f` is `m`).

Which raw fields a column comes from is dbt's SQL traced by sqlglot's column lineage, model by model
down to the `raw` sources. Where every step is a sum, cast or coalesce of columns (an additive
measure), `source_sum` is the sum of those fields over the raw rows, so the figure can be checked by
hand in the publisher's file; otherwise it is null and the fields are still named.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp
from sqlglot.lineage import lineage

from dagster_project.settings import Settings
from dagster_project.sources import SOURCES
from dagster_project.warehouse import is_lock_error, quote_ident


# A bundle's documents named per file, at most (a national capture holds tens of thousands).
MAX_DOCUMENTS = 20


class ExplainError(Exception):
    """A bad mart, column or predicate: said in one line with what exists (CLI exit status 2)."""


# Expressions through which a per-row field stays additive: summing the mart value is summing the field.
_ADDITIVE = (
    exp.Column,
    exp.Cast,
    exp.TryCast,
    exp.Sum,
    exp.Add,
    exp.Coalesce,
    exp.Alias,
    exp.DataType,
    exp.Literal,
    exp.Paren,
    exp.Identifier,
    exp.Star,
    exp.Table,
    exp.Null,
)


@dataclass
class ModelStep:
    """One model on the way from the mart to the raw tables, with the SQL that computes the column in it."""

    name: str
    relation: str
    resource_type: str
    # (column in this model, the SQL computing it here, its YAML description), in the order traced
    columns: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "relation": self.relation,
            "resource_type": self.resource_type,
            "columns": [{"column": c, "expression": e, "description": d} for c, e, d in self.columns],
        }


@dataclass
class Explanation:
    mart: str
    where: str
    column: str | None
    rows: list[dict]
    value: Any
    models: list[ModelStep]
    source_fields: list[str] = field(default_factory=list)
    additive: bool = False
    files: list[dict] = field(default_factory=list)
    validations: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)
    other_vintages: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "mart": self.mart,
            "where": self.where,
            "column": self.column,
            "rows": self.rows,
            "value": self.value,
            "models": [m.as_dict() for m in self.models],
            "source_fields": self.source_fields,
            "additive": self.additive,
            "files": self.files,
            "validations": self.validations,
            "quarantined": self.quarantined,
            "other_vintages": self.other_vintages,
            "notes": self.notes,
        }


# --- the dbt manifest -----------------------------------------------------------------------------


class Manifest:
    """The project's manifest (models, YAML, lineage) and, from the home's dbt runs, compiled SQL."""

    def __init__(self, manifest_path: Path, runs_dir: Path, kept_sql: Path | None = None):
        self.data = json.loads(manifest_path.read_text())
        self.nodes: dict[str, dict] = {**self.data["nodes"], **self.data["sources"]}
        self.by_relation = {
            _relation_key(node.get("relation_name")): uid for uid, node in self.nodes.items() if node.get("relation_name")
        }
        self.by_name = {
            node["name"]: uid
            for uid, node in self.data["nodes"].items()
            if node["resource_type"] in ("model", "seed", "snapshot")
        }
        self._runs = sorted((p for p in runs_dir.glob("*/manifest.json")), reverse=True) if runs_dir.exists() else []
        self._kept_sql = kept_sql
        self._compiled: dict[str, str] | None = None

    def node(self, name: str) -> dict | None:
        uid = self.by_name.get(name)
        return self.nodes[uid] if uid else None

    def compiled_sql(self, uid: str) -> str | None:
        """The newest compiled SQL of a model among the home's dbt runs (a run compiles what it selected)."""
        if self._compiled is None:
            self._compiled = {}
            if self._kept_sql is not None and self._kept_sql.exists():
                try:
                    self._compiled = json.loads(self._kept_sql.read_text())
                    return self._compiled.get(uid)
                except ValueError:
                    self._compiled = {}
            for path in self._runs:  # a home built before the SQL was kept
                try:
                    nodes = json.loads(path.read_text())["nodes"]
                except (OSError, ValueError, KeyError):
                    continue
                for node_id, node in nodes.items():
                    if node.get("compiled_code") and node_id not in self._compiled:
                        self._compiled[node_id] = node["compiled_code"]
        return self._compiled.get(uid)


def _relation_key(relation: str | None) -> str:
    return (relation or "").replace('"', "").replace("`", "").casefold()


def _table_key(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part).casefold()


def trace_column(
    manifest: Manifest, uid: str, column: str, schema: dict | None = None
) -> tuple[list[ModelStep], list[tuple[str, str]], bool]:
    """Models from `uid` down to the raw sources for `column`, the (source, field) pairs it comes from,
    and whether every step is additive. `schema` (catalog -> schema -> table -> column -> type) lets
    sqlglot resolve unqualified columns in joins and `select *`."""
    steps: list[ModelStep] = []
    fields: list[tuple[str, str]] = []
    additive = True
    seen: set[tuple[str, str]] = set()
    queue = [(uid, column)]
    while queue:
        node_id, col = queue.pop(0)
        if (node_id, col) in seen:
            continue
        seen.add((node_id, col))
        node = manifest.nodes[node_id]
        if node["resource_type"] == "source":
            fields.append((node["name"], col))
            continue
        description = (node.get("columns", {}).get(col) or {}).get("description") or None
        step = next((s for s in steps if s.name == node["name"]), None)
        if step is None:
            step = ModelStep(node["name"], node.get("relation_name") or node["name"], node["resource_type"])
            steps.append(step)
        sql = manifest.compiled_sql(node_id)
        if not sql:
            step.columns.append((col, None, description))
            additive = False
            continue
        try:
            root = lineage(col, sql, schema or {}, dialect="duckdb")
        except Exception:  # sqlglot cannot follow every dialect construct: the step stays, unexplained
            step.columns.append((col, None, description))
            additive = False
            continue
        expressions = []
        for parent in root.walk():
            expression = parent.expression
            if not isinstance(expression, (exp.Star, exp.Table, exp.Select, exp.Subquery)):
                inner = expression.this if isinstance(expression, exp.Alias) else expression
                if not isinstance(inner, (exp.Column, exp.Star)):
                    expressions.append(inner.sql(dialect="duckdb"))
                    if any(not isinstance(e, _ADDITIVE) for e in inner.walk()):
                        additive = False
            for child in parent.downstream:
                if isinstance(child.source, exp.Table) and not child.downstream:
                    name = (child.name if child.name != "*" else parent.name).split(".")[-1]
                    upstream = manifest.by_relation.get(_table_key(child.source))
                    if upstream:
                        queue.append((upstream, name))
        step.columns.append((col, " <- ".join(dict.fromkeys(expressions)) or None, description))
    return steps, fields, additive


# --- the warehouse --------------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "is_finite"):  # Decimal
        return float(value)
    return value


def _marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'serving' and not starts_with(table_name, '_') order by 1"
        ).fetchall()
    ]


def explain(settings: Settings, manifest_path: Path, mart: str, where: str, column: str | None = None) -> Explanation:
    if not settings.serving_db.exists():
        raise ExplainError(f"nothing is published yet ({settings.serving_db} does not exist): run `nhs-warehouse build`")
    con = duckdb.connect()
    try:
        con.execute(f"attach {_literal(settings.serving_db)} as serving (read_only)")
        try:
            con.execute(f"attach {_literal(settings.warehouse_db)} as warehouse (read_only)")
        except duckdb.Error as exc:
            if is_lock_error(exc):
                raise ExplainError(f"{settings.warehouse_db} is locked by a running load; try again when it ends") from None
            raise
        return _explain(
            con, Manifest(manifest_path, settings.dbt_runs_dir, settings.dbt_compiled_sql), settings, mart, where, column
        )
    finally:
        con.close()


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _explain(con, manifest: Manifest, settings: Settings, mart: str, where: str, column: str | None) -> Explanation:
    marts = _marts(con)
    if mart not in marts:
        raise ExplainError(f"no published mart {mart!r}; published: {', '.join(marts)}")
    columns = [r[0] for r in con.execute(f"select * from serving.main.{quote_ident(mart)} limit 0").description]
    if column is not None and column not in columns:
        raise ExplainError(f"{mart} has no column {column!r}; its columns: {', '.join(columns)}")
    try:
        con.execute(f"create temp table m as select * from serving.main.{quote_ident(mart)} where {where}")
    except duckdb.Error as exc:
        raise ExplainError(f"--where {where!r} is not a predicate on {mart}: {str(exc).splitlines()[0]}") from None
    rows = _rows(con, "select * from m")
    if not rows:
        raise ExplainError(f"no row of {mart} matches {where!r}; its columns: {', '.join(columns)}")
    value = None
    if column is not None:
        values = [row[column] for row in rows]
        value = values[0] if len(values) == 1 else values

    node = manifest.node(mart)
    if node is None:
        raise ExplainError(f"{mart} is published but not in the dbt manifest; run `make install` to prepare it")
    uid = manifest.by_name[mart]
    if column is not None:
        models, fields, additive = trace_column(manifest, uid, column, _warehouse_schema(con))
    else:
        models, fields, additive = _model_path(manifest, uid), [], False
    result = Explanation(mart, where, column, rows, value, models, [f"raw.{s}.{f}" for s, f in fields], additive and bool(fields))

    declared = (node.get("meta") or {}).get("explain") or (node.get("config", {}).get("meta") or {}).get("explain")
    period_column = (declared or {}).get("period", "month_start")
    if declared:
        fact_name, match = declared["rows_from"], declared["match"]
    elif "source_file_sha256" in columns:
        fact_name, match = mart, "f.rowid = m.rowid"
    else:
        result.notes.append(f"{mart} does not declare which fact rows make its rows (meta.explain in its YAML): files not traced")
        return result
    fact = manifest.node(fact_name)
    if fact is None:
        raise ExplainError(f"{mart}'s meta.explain names {fact_name!r}, which is not a model")
    if fact_name == mart:
        con.execute("create temp table f as select * from m")
    else:
        con.execute(f"create temp table f as select distinct f.* from {fact['relation_name']} f join m on {match}")
    _trace_files(con, settings, result, fields, period_column if period_column in _columns(con, "f") else None)
    return result


def _warehouse_schema(con) -> dict:
    """The warehouse's tables and columns in sqlglot's nested form, for resolving columns in dbt's SQL."""
    schema: dict = {}
    for schema_name, table, column, data_type in con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = 'warehouse'"
    ).fetchall():
        schema.setdefault("warehouse", {}).setdefault(schema_name, {}).setdefault(table, {})[column] = data_type
    return schema


def _model_path(manifest: Manifest, uid: str) -> list[ModelStep]:
    steps, seen, queue = [], set(), [uid]
    while queue:
        node_id = queue.pop(0)
        if node_id in seen or node_id not in manifest.nodes:
            continue
        seen.add(node_id)
        node = manifest.nodes[node_id]
        steps.append(ModelStep(node["name"], node.get("relation_name") or node["name"], node["resource_type"]))
        queue.extend(node.get("depends_on", {}).get("nodes", []))
    return steps


def _trace_files(con, settings: Settings, result: Explanation, fields: list[tuple[str, str]], period_column: str | None) -> None:
    """The loads the fact rows came from: by file, and by the rows' own periods when the fact says
    which partition a row is (`month_start`, or `meta.explain.period`), since one file can hold many
    (an AmbSYS release holds every month since 2017: its April 2026 figure is that month's rows)."""
    in_periods = (
        f"and period in (select distinct cast(f.{quote_ident(period_column)} as varchar) from f)" if period_column else ""
    )
    # Vintages are numbered over every load of a partition, before picking the ones the rows came from.
    loads = _rows(
        con,
        f"""
        select * from (
            select source_key, period, file_sha256, file_name, loaded_at, is_current, superseded_at,
                   row_number() over (partition by source_key, period order by loaded_at) as vintage_number
            from warehouse.meta.partition_loads
        )
        where is_current and file_sha256 in (select distinct source_file_sha256 from f) {in_periods}
        order by source_key, period
    """,
    )
    sum_of: dict[str, list[str]] = {}
    for source, name in fields:
        sum_of.setdefault(source, []).append(name)
    for load in loads:
        spec = SOURCES.get(load["source_key"])
        keys = [k for k in (spec.row_key if spec else ()) if k in _columns(con, "f")]
        table = (
            f"raw.{quote_ident(load['source_key'])}" if load["is_current"] else f"raw_history.{quote_ident(load['source_key'])}"
        )
        fields_summed = sum_of.get(load["source_key"]) if result.additive else None
        counted = _raw_rows(con, table, load["file_sha256"], load["period"], load["file_sha256"], keys, fields_summed)
        manifest = _landing_manifest(settings, load["source_key"], load["file_sha256"])
        result.files.append(
            {
                "name": load["file_name"],
                "sha256": load["file_sha256"],
                "source": load["source_key"],
                "publication": f"{spec.publisher}, {spec.title}" if spec else None,
                "url": manifest.get("url") or (spec.index_url if spec else None),
                "period": load["period"],
                "vintage": "original" if load["vintage_number"] == 1 else f"revision {load['vintage_number'] - 1}",
                "landed_at": manifest.get("fetched_at"),
                "loaded_at": load["loaded_at"],
                "raw_rows": counted["raw_rows"],
                "source_sum": counted["source_sum"],
                "row_key": keys,
                **({"documents": counted["documents"]} if "documents" in counted else {}),
            }
        )
        result.validations.extend(
            _rows(
                con,
                """
            select source_key, period, file_sha256, suite, bool_and(success) as passed,
                   count(*) as expectations, count(*) filter (where not success) as failed,
                   max(validated_at) as validated_at
            from warehouse.meta.validation_results
            where file_sha256 = ? and period = ?
            group by all order by validated_at
        """,
                [load["file_sha256"], load["period"]],
            )
        )
        result.quarantined.extend(
            _rows(
                con,
                """
            select source_key, period, file_name, file_sha256, reason, message, failed_at
            from warehouse.meta.load_failures where source_key = ? and period = ? order by failed_at
        """,
                [load["source_key"], load["period"]],
            )
        )
        for other in _rows(
            con,
            """
            select file_sha256, file_name, loaded_at, is_current,
                   row_number() over (order by loaded_at) as vintage_number
            from warehouse.meta.partition_loads where source_key = ? and period = ?
        """,
            [load["source_key"], load["period"]],
        ):
            if other["file_sha256"] == load["file_sha256"]:
                continue
            table = (
                f"raw.{quote_ident(load['source_key'])}"
                if other["is_current"]
                else f"raw_history.{quote_ident(load['source_key'])}"
            )
            counted = _raw_rows(con, table, other["file_sha256"], load["period"], load["file_sha256"], keys, fields_summed)
            result.other_vintages.append(
                {
                    "source": load["source_key"],
                    "period": load["period"],
                    "name": other["file_name"],
                    "sha256": other["file_sha256"],
                    "loaded_at": other["loaded_at"],
                    "is_current": other["is_current"],
                    "vintage": "original" if other["vintage_number"] == 1 else f"revision {other['vintage_number'] - 1}",
                    "raw_rows": counted["raw_rows"],
                    "source_sum": counted["source_sum"],
                }
            )


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"select * from {table} limit 0").description]


def _raw_rows(con, table: str, sha256: str, period: str, matched_sha256: str, keys: list[str], fields: list[str] | None) -> dict:
    """The raw rows of one vintage (`sha256`) whose row key is among the fact rows matched from the
    current vintage (`matched_sha256`), the sum of the source fields over them, and, for a file that
    bundles documents (a CQC API capture), the documents they were read from."""
    key_match = (
        " and exists (select 1 from f where f.source_file_sha256 = ? and "
        + " and ".join(f"f.{quote_ident(k)} = r.{quote_ident(k)}" for k in keys)
        + ")"
        if keys
        else ""
    )
    params = [sha256, period] + ([matched_sha256] if keys else [])
    total = "sum(" + " + ".join(f"coalesce(r.{quote_ident(name)}, 0)" for name in fields) + ")" if fields else "null"
    rows = f"from warehouse.{table} r where r._file_sha256 = ? and r._period = ?{key_match}"
    count, summed = con.execute(f"select count(*), {total} {rows}", params).fetchone()
    counted = {"raw_rows": count, "source_sum": _plain(summed)}
    if "source_document" in _columns(con, f"warehouse.{table}"):
        counted["documents"] = [
            r[0]
            for r in con.execute(f"select distinct r.source_document {rows} order by 1 limit {MAX_DOCUMENTS}", params).fetchall()
        ]
    return counted


def _landing_manifest(settings: Settings, source: str, sha256: str) -> dict:
    path = settings.landing_dir / source / f"{sha256}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


# --- text -------------------------------------------------------------------------------------------


def render_text(result: Explanation) -> str:
    """The explanation as an analyst reads it, top (the number) to bottom (the files and their checks)."""
    lines = [f"{result.mart} where {result.where}: {len(result.rows)} row(s)"]
    if result.column is not None:
        lines.append(f"  {result.column} = {result.value}")
    lines.append("models (mart first):")
    for step in result.models:
        lines.append(f"  {step.name} [{step.resource_type}] {step.relation}")
        for column, expression, description in step.columns:
            lines.append(f"      {column} = {expression or '(passed through)'}")
            if description:
                lines.append(f"          {' '.join(description.split())}")
    if result.source_fields:
        kind = "additive: source_sum adds them over the raw rows" if result.additive else "not additive"
        lines.append(f"from raw fields: {', '.join(result.source_fields)} ({kind})")
    if result.files:
        lines.append("files:")
    for f in result.files:
        lines.append(f"  {f['name']}  sha256 {f['sha256']}")
        lines.append(
            f"      {f['source']} period {f['period']}, {f['vintage']}, landed {f['landed_at']}, loaded {f['loaded_at']}"
        )
        lines.append(f"      {f['publication']}  {f['url'] or ''}".rstrip())
        sum_text = f", source_sum {f['source_sum']}" if f["source_sum"] is not None else ""
        lines.append(f"      {f['raw_rows']} raw rows (row key {', '.join(f['row_key']) or 'none'}){sum_text}")
        for document in f.get("documents", []):
            lines.append(f"      document {document}")
    for v in result.validations:
        verdict = "passed" if v["passed"] else f"FAILED ({v['failed']} of {v['expectations']})"
        lines.append(f"validation: {v['suite']} on {v['period']} {verdict} at {v['validated_at']}")
    for q in result.quarantined:
        lines.append(f"quarantined: {q['file_name']} ({q['period']}): {q['reason']}: {q['message']}")
    for o in result.other_vintages:
        current = " (current)" if o["is_current"] else ""
        sum_text = f", source_sum {o['source_sum']}" if o["source_sum"] is not None else ""
        lines.append(
            f"other vintage{current}: {o['name']} ({o['vintage']}, loaded {o['loaded_at']}): {o['raw_rows']} raw rows{sum_text}"
        )
    lines.extend(f"note: {note}" for note in result.notes)
    return "\n".join(lines)
