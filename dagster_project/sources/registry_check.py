"""Every SourceSpec held against the pieces written beside it: one declaration, everything else agrees.

A publication is declared once, as a `SourceSpec` (its URL, columns with descriptions, row key,
partitioning, suite, samples). The Dagster side (raw asset, partitions, publication sensor,
freshness schedule) is built from the spec; what cannot be built from it is written by hand and
checked here, each problem naming the source and the piece that is missing or contradicts it:

- dbt: a source table in `dbt/models/**/*.yml` for the raw table (and `__totals` when the spec splits
  totals rows off), with a description and the raw asset's key; columns it lists exist in the spec
  (or are lineage columns) and any description it gives is the spec's; a staging model reads it;
  `revision_changes(...)` calls pass the spec's row key; the raw table's `freshness` is the spec's
  release cadence (what Dagster's freshness policy says too), on the main table only.
- Great Expectations: `expectations/<key>.json` exists, names the source, mentions only columns the
  spec has, and checks the row key is unique within each period.
- samples: the spec's globs find bundled files, each cited in `data/samples/README.md`; a spec
  without samples says why (`sample_absent_because`); a part checked against a schema only
  (`schema_only`) is one of its raw tables, and its schema file is bundled and cited.
- README: the source table between its markers is the one `render_source_table` writes
  (`nhs-warehouse check-registry --write` rewrites it).
- the spec itself: row key, period column and partitioning agree with its columns and first period.

`nhs-warehouse check-registry` runs it; tests/unit/test_source_registry.py holds the repository to
it and shows each kind of contradiction caught.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from dagster_project.ingest.load import LINEAGE_COLUMNS
from dagster_project.ingest.spec import SCHEMA_ONLY_WORDS, SourceSpec
from dagster_project.settings import PROJECT_ROOT

LINEAGE = frozenset(name for name, _ in LINEAGE_COLUMNS)
README_START = "<!-- source table: generated from the SourceSpecs by `nhs-warehouse check-registry --write` -->"
README_END = "<!-- end of source table -->"
# Expectation kwargs that name columns of the validated table.
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list", "column_set")
# The suite's uniqueness check on the row key: `select _period, <key columns>, count(*) ... from {batch}
# group by all having count(*) > 1`.
ROW_KEY_QUERY = re.compile(
    r"select\s+_period\s*,\s*(?P<columns>[\w\s,]+?)\s*,\s*count\(\*\)\s+as\s+\w+\s+from\s+\{batch\}"
    r"\s+group\s+by\s+all\s+having\s+count\(\*\)\s*>\s*1",
    re.IGNORECASE,
)
SOURCE_CALL = re.compile(r"""\bsource\(\s*['"](?P<source>\w+)['"]\s*,\s*['"](?P<table>\w+)['"]\s*\)""")
SOURCE_PART_CALL = re.compile(
    r"""\bsource_part\(\s*['"](?P<source>\w+)['"]\s*,\s*['"](?P<table>\w+)['"]\s*,\s*['"](?P<part>\w+)['"]"""
)
REVISION_CALL = re.compile(r"""revision_changes\(\s*['"](?P<source>\w+)['"]\s*,\s*\[(?P<columns>[^\]]*)\]""")


@dataclass(frozen=True)
class Problem:
    source: str
    piece: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.piece}: {self.message}"


@dataclass(frozen=True)
class Layout:
    """Where the pieces live; a test points it at a copy to show each contradiction is caught."""

    root: Path = PROJECT_ROOT
    samples_dir: Path | None = None

    @property
    def dbt_models(self) -> Path:
        return self.root / "dbt" / "models"

    @property
    def expectations(self) -> Path:
        return self.root / "expectations"

    @property
    def samples(self) -> Path:
        return self.samples_dir or self.root / "data" / "samples"

    @property
    def readme(self) -> Path:
        return self.root / "README.md"


@dataclass(frozen=True)
class DbtSourceTable:
    source: str
    name: str
    entry: dict
    path: Path
    # The source's own entry: its freshness and loaded_at_field apply to tables that set none.
    source_entry: dict = field(default_factory=dict)

    @property
    def asset_key(self) -> list[str] | None:
        return ((self.entry.get("meta") or {}).get("dagster") or {}).get("asset_key")

    @property
    def freshness(self) -> dict | None:
        return self.entry["freshness"] if "freshness" in self.entry else self.source_entry.get("freshness")

    @property
    def loaded_at_field(self) -> str | None:
        return self.entry.get("loaded_at_field", self.source_entry.get("loaded_at_field"))


# ---------------------------------------------------------------------------------------------
# reading the hand-written pieces


def dbt_source_tables(layout: Layout) -> dict[str, DbtSourceTable]:
    """Every table of every dbt source whose schema is raw, by table name."""
    tables: dict[str, DbtSourceTable] = {}
    for path in sorted(layout.dbt_models.rglob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        for source in document.get("sources") or []:
            if source.get("schema", source.get("name")) != "raw":
                continue
            for table in source.get("tables") or []:
                tables[table["name"]] = DbtSourceTable(source["name"], table["name"], table, path, source)
    return tables


def _sql_files(layout: Layout) -> dict[Path, str]:
    return {
        p: p.read_text() for p in sorted(layout.root.glob("dbt/**/*.sql")) if "target" not in p.relative_to(layout.root).parts
    }


def cited_sample_paths(layout: Layout) -> list[str]:
    """The folders and files the samples README's table cites (backquoted, in its first column)."""
    readme = layout.samples / "README.md"
    if not readme.exists():
        return []
    cited = []
    for line in readme.read_text().splitlines():
        cells = line.split("|")
        if len(cells) > 2:
            cited.extend(re.findall(r"`([^`]+)`", cells[1]))
    return cited


# ---------------------------------------------------------------------------------------------
# the checks, one function a piece


def check_spec(spec: SourceSpec) -> list[Problem]:
    """The spec agrees with itself: its key columns are columns, its first period fits its partitioning."""
    problems = []
    names = {c.name for c in spec.columns}
    for column in spec.row_key:
        if column not in names:
            problems.append(Problem(spec.key, "row key", f"{column!r} is not one of the spec's columns"))
    if spec.period_column and spec.period_column not in names:
        problems.append(Problem(spec.key, "period column", f"{spec.period_column!r} is not one of the spec's columns"))
    if spec.first_period and spec.partitioning != "snapshot":
        from dagster_project.assets.partitions import partitions_for

        try:
            keys = partitions_for(spec).get_partition_keys()
        except ValueError:  # a monthly start that is not a date
            keys = []
        if spec.first_period not in keys:
            problems.append(
                Problem(spec.key, "partitions", f"first period {spec.first_period!r} is not a {spec.partitioning} partition key")
            )
    if spec.link_pattern and not spec.index_url:
        problems.append(
            Problem(spec.key, "publication sensor", "link_pattern is set but there is no index_url to read links from")
        )
    if not spec.sample_globs and not spec.sample_absent_because:
        problems.append(Problem(spec.key, "sample", "no sample_glob, and sample_absent_because does not say why"))
    for part in spec.schema_only:
        if part.table not in spec.table_columns():
            problems.append(Problem(spec.key, "schema only", f"{part.table!r} is not one of the raw tables the spec loads"))
    return problems


def check_dbt(spec: SourceSpec, tables: dict[str, DbtSourceTable], sql: dict[Path, str], layout: Layout) -> list[Problem]:
    problems = []
    main = tables.get(spec.key)
    if main is None:
        return [Problem(spec.key, "dbt source", f"no dbt source table {spec.key!r} with schema raw in {layout.dbt_models}")]
    declared = {"": spec.key} | {suffix: f"{spec.key}__{suffix}" for suffix in spec.table_columns() if suffix}
    reads_parts = {(m["source"], m["table"], m["part"]) for text in sql.values() for m in SOURCE_PART_CALL.finditer(text)}
    for suffix, columns in spec.table_columns().items():
        name = declared[suffix]
        table = tables.get(name)
        if table is None:
            # An extra table may be read as a part of its main source instead of a source of its own.
            if suffix in spec.extra_tables and (main.source, spec.key, suffix) in reads_parts:
                continue
            problems.append(Problem(spec.key, "dbt source", f"no dbt source table {name!r} (raw.{name} is loaded by the spec)"))
            continue
        problems.extend(_check_dbt_table(spec, table, columns))
        problems.extend(check_freshness(spec, table, is_main=not suffix))
    if not any(
        (main.source, spec.key) == (m["source"], m["table"])
        for p, text in sql.items()
        if "staging" in p.parts
        for m in SOURCE_CALL.finditer(text)
    ):
        problems.append(
            Problem(spec.key, "staging model", f"no model under dbt/models/staging reads source('{main.source}', '{spec.key}')")
        )
    return problems


def _check_dbt_table(spec: SourceSpec, table: DbtSourceTable, columns) -> list[Problem]:
    problems = []
    where = f"dbt source table {table.name!r} ({table.path.name})"
    if not str(table.entry.get("description") or "").strip():
        problems.append(Problem(spec.key, "dbt description", f"{where} has no description"))
    if table.asset_key != ["raw", spec.key]:
        problems.append(
            Problem(spec.key, "dbt source", f"{where} has meta.dagster.asset_key {table.asset_key}, not ['raw', '{spec.key}']")
        )
    by_name = {c.name: c for c in columns}
    for listed in table.entry.get("columns") or []:
        name = listed["name"]
        if name in LINEAGE:
            continue
        if name not in by_name:
            problems.append(Problem(spec.key, "dbt columns", f"{where} lists column {name!r}, which the spec does not have"))
            continue
        written = " ".join(str(listed.get("description") or "").split())
        declared = " ".join(by_name[name].description.split())
        if written and declared and written != declared:
            problems.append(
                Problem(spec.key, "dbt description", f"{where} describes {name!r} as {written!r}; the spec says {declared!r}")
            )
    return problems


def expected_freshness(spec: SourceSpec) -> dict:
    """dbt's `freshness` for a spec's raw table: its release cadence as Dagster's freshness policy has it."""
    warn, fail = spec.release_cadence.overdue_after
    return {"warn_after": {"count": warn.days, "period": "day"}, "error_after": {"count": fail.days, "period": "day"}}


def check_freshness(spec: SourceSpec, table: DbtSourceTable, *, is_main: bool) -> list[Problem]:
    """dbt source freshness says what the spec's cadence says, on the main table only: a part table
    (totals, a JSON document's ratings) loads with it, and may be empty when the file has no such part."""
    where = f"dbt source table {table.name!r} ({table.path.name})"
    declared = table.freshness
    if not is_main:
        if declared:
            return [
                Problem(spec.key, "dbt freshness", f"{where} declares freshness; only {spec.key!r} should (it loads with it)")
            ]
        return []
    expected = expected_freshness(spec)
    if table.loaded_at_field != "_loaded_at":
        return [Problem(spec.key, "dbt freshness", f"{where} has loaded_at_field {table.loaded_at_field!r}, not '_loaded_at'")]
    if {k: declared.get(k) for k in expected} != expected if declared else True:
        want = ", ".join(f"{k}: {{count: {v['count']}, period: day}}" for k, v in expected.items())
        return [
            Problem(
                spec.key,
                "dbt freshness",
                f"{where} declares freshness {declared}; the spec's {spec.release_cadence.every} cadence says {{{want}}} "
                "(Cadence.overdue_after)",
            )
        ]
    return []


def check_revisions(specs: dict[str, SourceSpec], sql: dict[Path, str]) -> list[Problem]:
    """`revision_changes(source, [key columns])` compares vintages row by row: the key is the spec's."""
    problems = []
    for path, text in sql.items():
        for m in REVISION_CALL.finditer(text):
            if "macro" in text[: m.start()].rsplit("\n", 1)[-1]:
                continue  # the macro's own definition
            key = m["source"]
            columns = tuple(re.findall(r"['\"](\w+)['\"]", m["columns"]))
            spec = specs.get(key)
            if spec is None:
                problems.append(Problem(key, "revisions", f"{path.name} compares revisions of {key!r}, which has no spec"))
            elif columns != spec.row_key:
                problems.append(
                    Problem(
                        key,
                        "row key",
                        f"{path.name} compares revisions by {list(columns)}; the spec's row_key is {list(spec.row_key)}",
                    )
                )
    return problems


def check_suite(spec: SourceSpec, layout: Layout) -> list[Problem]:
    path = layout.expectations / f"{spec.key}.json"
    if not path.exists():
        return [Problem(spec.key, "suite", f"no Great Expectations suite {path.relative_to(layout.root)}")]
    suite = json.loads(path.read_text())
    problems = []
    if (suite.get("meta") or {}).get("source") != spec.key:
        problems.append(Problem(spec.key, "suite", f"{path.name} meta.source is {(suite.get('meta') or {}).get('source')!r}"))
    known = {c.name for c in spec.columns} | LINEAGE
    for expectation in suite.get("expectations", []):
        kwargs = expectation.get("kwargs") or {}
        named = [kwargs[k] for k in COLUMN_KWARGS if isinstance(kwargs.get(k), str)]
        named += [c for k in COLUMN_LIST_KWARGS for c in kwargs.get(k) or []]
        for column in named:
            if column not in known:
                problems.append(
                    Problem(
                        spec.key,
                        "suite columns",
                        f"{path.name}: {expectation['type']} names column {column!r}, which the spec does not have",
                    )
                )
    if spec.row_key:
        keys = [
            tuple(c.strip() for c in m["columns"].split(","))
            for e in suite.get("expectations", [])
            if (m := ROW_KEY_QUERY.search((e.get("kwargs") or {}).get("unexpected_rows_query", "")))
        ]
        if spec.row_key not in keys:
            found = f" (it checks {[list(k) for k in keys]})" if keys else ""
            problems.append(
                Problem(
                    spec.key,
                    "row key",
                    f"{path.name} does not check that {list(spec.row_key)} is unique within each period{found}",
                )
            )
    return problems


def check_samples(spec: SourceSpec, layout: Layout, cited: list[str]) -> list[Problem]:
    problems = []
    for pattern in spec.sample_globs:
        # A file, or a folder holding one capture (e.g. an API snapshot saved as one file per document).
        files = sorted(p for p in layout.samples.glob(pattern) if p.is_file() or (p.is_dir() and any(p.iterdir())))
        if not files:
            problems.append(Problem(spec.key, "sample", f"sample_glob {pattern!r} finds no file under {layout.samples}"))
        for file in files:
            relative = file.relative_to(layout.samples).as_posix()
            if not any(
                relative == c.rstrip("/") or relative.startswith(c.rstrip("/") + "/") or fnmatch.fnmatch(relative, c)
                for c in cited
            ):
                problems.append(Problem(spec.key, "sample citation", f"{relative} is not cited in data/samples/README.md"))
    for part in spec.schema_only:
        if not (layout.samples / part.schema).is_file():
            problems.append(Problem(spec.key, "schema only", f"the schema {part.schema!r} is not under {layout.samples}"))
        elif not any(part.schema == c or part.schema.startswith(c.rstrip("/") + "/") for c in cited):
            problems.append(Problem(spec.key, "sample citation", f"{part.schema} is not cited in data/samples/README.md"))
    return problems


# ---------------------------------------------------------------------------------------------
# what a new source's hand-written pieces start from


def dbt_source_entry(spec: SourceSpec) -> str:
    """The dbt source table entry for a spec's raw table, its columns described as the spec describes them."""
    entry = {
        "name": spec.key,
        "description": f"{spec.publisher}, {spec.title}.",
        "meta": {"dagster": {"asset_key": ["raw", spec.key]}},
        "freshness": expected_freshness(spec),
        "columns": [
            {"name": c.name, **({"description": c.description} if c.description else {})}
            | ({"data_tests": ["not_null"]} if c.name in spec.row_key else {})
            for c in spec.columns
        ],
    }
    return yaml.safe_dump([entry], sort_keys=False, width=100)


# ---------------------------------------------------------------------------------------------
# the README's source table, generated


def render_source_table(specs: Iterable[SourceSpec]) -> str:
    from dagster_project.automation.changes import CHANGE_FEEDS

    lines = [
        "| source (raw table) | publisher: publication | partitions | due | polled from | layout verified with (bundled real file) |",
        "|---|---|---|---|---|---|",
    ]
    for spec in specs:
        cadence = spec.release_cadence
        partitions = spec.partitioning.replace("_", " ") + (f" from {spec.first_period}" if spec.first_period else "")
        feed = CHANGE_FEEDS.get(spec.key)
        polled = spec.url_template or spec.index_url or (f"{feed.url} (change feed)" if feed else "")
        polled = polled or "no poller of its own"
        sample = ", ".join(f"`{g}`" for g in spec.sample_globs) or f"**unverified**: {spec.sample_absent_because}"
        for part in spec.schema_only:
            sample += f"; its `{part.table}` part **{SCHEMA_ONLY_WORDS}** (`{part.schema}`): {part.because}"
        lines.append(
            f"| `{spec.key}` | {spec.publisher}: {spec.title} | {partitions} | {cadence.every}, "
            f"{cadence.due_after_days} days after the period | {polled} | {sample} |"
        )
    return "\n".join(lines)


def readme_with_source_table(readme: str, specs: Iterable[SourceSpec]) -> str:
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError("README.md has no source table markers")
    return readme[: start + len(README_START)] + "\n" + render_source_table(specs) + "\n" + readme[end:]


def check_readme(specs: list[SourceSpec], layout: Layout) -> list[Problem]:
    text = layout.readme.read_text()
    try:
        current = readme_with_source_table(text, specs)
    except ValueError as error:
        return [Problem("README.md", "README source table", str(error))]
    if current == text:
        return []
    table = text[text.find(README_START) : text.find(README_END)]
    missing = [s.key for s in specs if f"| `{s.key}` |" not in table]
    what = f"no row for {', '.join(missing)}" if missing else "its rows differ from the specs"
    return [Problem("README.md", "README source table", f"{what}; run `nhs-warehouse check-registry --write`")]


# ---------------------------------------------------------------------------------------------


def check_registry(specs: Iterable[SourceSpec] | None = None, layout: Layout | None = None) -> list[Problem]:
    """Every problem found, in source order; an empty list means every piece agrees with its spec."""
    if specs is None:
        from dagster_project.sources import SOURCES

        specs = SOURCES.values()
    specs = list(specs)
    layout = layout or Layout()
    tables, sql, cited = dbt_source_tables(layout), _sql_files(layout), cited_sample_paths(layout)
    problems: list[Problem] = []
    for spec in specs:
        problems += check_spec(spec)
        problems += check_dbt(spec, tables, sql, layout)
        problems += check_suite(spec, layout)
        problems += check_samples(spec, layout, cited)
    problems += check_revisions({s.key: s for s in specs}, sql)
    problems += check_readme(specs, layout)
    return problems


def write_readme(specs: Iterable[SourceSpec] | None = None, layout: Layout | None = None) -> bool:
    """Rewrite the README's source table from the specs; True when it changed."""
    if specs is None:
        from dagster_project.sources import SOURCES

        specs = SOURCES.values()
    layout = layout or Layout()
    text = layout.readme.read_text()
    new = readme_with_source_table(text, list(specs))
    if new != text:
        layout.readme.write_text(new)
    return new != text
