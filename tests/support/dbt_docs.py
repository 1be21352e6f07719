"""What a BI user reads about the marts: every column described, typed and under contract.

Read from dbt's manifest (`make install` prepares `dbt/target/manifest.json`), so the checks see the
YAML as dbt parsed it. A mart is any model under `dbt/models/marts/` (the facts, dimensions and
marts that publish to the serving DB). The columns a model really produces come from a built
warehouse (information_schema), because a column the SQL selects but the YAML never lists is the
one nobody documented.
"""

from __future__ import annotations

import json
from pathlib import Path

from dagster_project.settings import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def load_manifest(path: Path = MANIFEST) -> dict:
    return json.loads(Path(path).read_text())


def mart_models(manifest: dict) -> list[dict]:
    """Every model under models/marts/ (fqn: project, 'marts', family, ..., name), by name."""
    return sorted(
        (node for node in manifest["nodes"].values()
         if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]),
        key=lambda node: node["name"],
    )


def undocumented_columns(manifest: dict, produced: dict[str, list[str]] | None = None) -> list[str]:
    """`model.column: why` for every mart column an analyst would find unexplained: a column the
    YAML lists without a description, and (given `produced`, model -> the columns the built table
    has) a column the model produces that its YAML does not list, or one the YAML lists that the
    model no longer produces."""
    problems = []
    for node in mart_models(manifest):
        declared = node["columns"]
        problems += [f"{node['name']}.{name}: no description" for name, column in declared.items()
                     if not (column.get("description") or "").strip()]
        if produced is not None:
            built = produced.get(node["name"], [])
            problems += [f"{node['name']}.{name}: produced by the model but not in its YAML" for name in built if name not in declared]
            problems += [f"{node['name']}.{name}: in its YAML but not produced by the model" for name in declared if name not in built]
    return problems


def uncontracted_columns(manifest: dict) -> list[str]:
    """Marts whose contract is not enforced (on the DuckDB target the manifest is parsed for), and
    columns without a data_type (a contract needs one on every column)."""
    problems = []
    for node in mart_models(manifest):
        if not node["config"].get("contract", {}).get("enforced"):
            problems.append(f"{node['name']}: contract not enforced")
        problems += [f"{node['name']}.{name}: no data_type" for name, column in node["columns"].items() if not column.get("data_type")]
    return problems
