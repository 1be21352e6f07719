"""docs/adding-a-publication.md, step by step, in a copy of the repository.

The page's code blocks are taken as written: the spec goes into the copy's family module and
`SOURCES`, the suite into `expectations/`, the dbt source entry the CLI prints and the staging model
into dbt. `check-registry` then names what is still missing (the README row) until `--write`, and
the real Core 3 excerpt is ingested and loaded through the gate into the copy's DuckDB.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.settings import PROJECT_ROOT

HOWTO = PROJECT_ROOT / "docs" / "adding-a-publication.md"
KEY = "example_doctors_fte"
SAMPLE = "data/samples/workforce/workforce_statistics_excerpt/Workforce-Core3-RX1.excerpt.csv"


def blocks(text: str) -> dict[str, str]:
    """The page's code blocks marked `<!-- step: NAME -->`, by name."""
    return {m["name"]: m["body"] for m in re.finditer(r"<!-- step: (?P<name>\w+) -->\n```\w*\n(?P<body>.*?)```", text, re.S)}


@pytest.fixture
def repo(tmp_path) -> Path:
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns("target", "warehouse", ".venv*", ".tools", ".git", "*.duckdb")
    for name in ("dagster_project", "dbt", "expectations", "data", "docs"):
        shutil.copytree(PROJECT_ROOT / name, copy / name, ignore=ignore)
    shutil.copy(PROJECT_ROOT / "README.md", copy / "README.md")
    return copy


def run(repo: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    # The copy's package comes first on the path, so its PROJECT_ROOT (specs, suites, dbt) is the copy.
    env = {**os.environ, "PYTHONPATH": str(repo), "NHS_WAREHOUSE_HOME": str(home or repo / "warehouse")}
    return subprocess.run([sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=300)


LOAD = """
import duckdb, sys
from dagster_project.resources import WarehouseResource
from dagster_project.settings import load_settings
from dagster_project.sources import get_source
from dagster_project.warehouse import META_DDL

spec = get_source(sys.argv[1])
warehouse = WarehouseResource(home=str(load_settings().home))
periods = warehouse.store().periods(spec.key)
with duckdb.connect(str(warehouse.settings.warehouse_db)) as con:
    con.execute(META_DDL)
    for outcome in warehouse.loader(spec).load_many(con, periods):
        print(outcome.period, outcome.status, outcome.rows, outcome.message)
"""


def test_the_how_to_page_adds_a_publication(repo, tmp_path):
    steps = blocks(HOWTO.read_text())
    assert set(steps) == {"spec", "suite", "staging"}

    # 2. The spec, in the family module and SOURCES.
    module = repo / "dagster_project/sources/workforce.py"
    module.write_text(module.read_text() + "\n\n" + steps["spec"])
    registry = repo / "dagster_project/sources/__init__.py"
    text = registry.read_text()
    imports, listed = "from dagster_project.sources.workforce import (\n", "    for spec in (\n"
    assert text.count(imports) == 1 and text.count(listed) == 1, "sources/__init__.py changed shape: update this step"
    text = text.replace(imports, imports + "    EXAMPLE_DOCTORS_FTE,\n").replace(
        listed, listed + "        EXAMPLE_DOCTORS_FTE,\n"
    )
    registry.write_text(text)

    # Before the other pieces exist, the check names each of them.
    missing = run(repo, "-m", "dagster_project.cli", "check-registry")
    assert missing.returncode == 1
    for piece in (f"{KEY}: dbt source", f"{KEY}: suite", "README.md: README source table: no row for example_doctors_fte"):
        assert piece in missing.stderr, missing.stderr

    # 3. The suite.
    (repo / "expectations" / f"{KEY}.json").write_text(steps["suite"])

    # 4. The dbt source entry the CLI prints, and the staging model.
    printed = run(repo, "-m", "dagster_project.cli", "check-registry", "--dbt-source", KEY)
    assert printed.returncode == 0, printed.stderr
    sources = repo / "dbt/models/staging/workforce/_workforce__sources.yml"
    document = yaml.safe_load(sources.read_text())
    document["sources"][0]["tables"].extend(yaml.safe_load(printed.stdout))
    sources.write_text(yaml.safe_dump(document, sort_keys=False))
    path = steps["staging"].splitlines()[0].removeprefix("-- ").strip()
    (repo / path).write_text(steps["staging"])

    # 5. Check, writing the README row.
    checked = run(repo, "-m", "dagster_project.cli", "check-registry", "--write")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"| `{KEY}` | NHS Digital: HCHS doctors' FTE by specialty and grade (example) |" in (repo / "README.md").read_text()

    # 6. Land the real file, and load it through the gate into DuckDB.
    home = tmp_path / "home"
    landed = run(repo, "-m", "dagster_project.cli", "ingest", "--source", KEY, SAMPLE, home=home)
    assert landed.returncode == 0, landed.stdout + landed.stderr
    loaded = run(repo, "-c", LOAD, KEY, home=home)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.splitlines()[0].startswith("2026-04-01 loaded 71"), loaded.stdout
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(f"select count(*), count(distinct grade), sum(fte) > 0 from raw.{KEY}").fetchone()
        results = con.execute(
            "select count(*), bool_and(success) from meta.validation_results where source_key = ?", [KEY]
        ).fetchone()
    assert rows[0] == 71 and rows[1] > 1 and rows[2]
    assert results[0] >= 5 and results[1], results
