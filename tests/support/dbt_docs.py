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
        (node for node in manifest["nodes"].values() if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]),
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
        problems += [
            f"{node['name']}.{name}: no description"
            for name, column in declared.items()
            if not (column.get("description") or "").strip()
        ]
        if produced is not None:
            built = produced.get(node["name"], [])
            problems += [
                f"{node['name']}.{name}: produced by the model but not in its YAML" for name in built if name not in declared
            ]
            problems += [
                f"{node['name']}.{name}: in its YAML but not produced by the model" for name in declared if name not in built
            ]
    return problems


def uncontracted_columns(manifest: dict) -> list[str]:
    """Marts whose contract is not enforced (on the DuckDB target the manifest is parsed for), and
    columns without a data_type (a contract needs one on every column)."""
    problems = []
    for node in mart_models(manifest):
        if not node["config"].get("contract", {}).get("enforced"):
            problems.append(f"{node['name']}: contract not enforced")
        problems += [
            f"{node['name']}.{name}: no data_type" for name, column in node["columns"].items() if not column.get("data_type")
        ]
    return problems


REPORT_EXPOSURE = "html_report"


def published_models(manifest: dict) -> set[str]:
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["meta"].get("publish")
    }


def exposure_gaps(manifest: dict, report_marts: set[str], bi_tools: list[str]) -> list[str]:
    """Where dbt's exposures (dbt/models/exposures.yml) stop saying who reads the marts: the report's
    exposure must depend on exactly the marts the report reads, and each BI tool the README's recipe
    table names must have an exposure (labelled with the tool's name) that depends on every published
    mart, since each opens the serving DB, where every published mart is a view."""
    models = {uid: node["name"] for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    by_label = {exposure.get("label"): exposure for name, exposure in exposures.items() if name != REPORT_EXPOSURE}

    def reads(exposure: dict) -> set[str]:
        return {models[uid] for uid in exposure["depends_on"]["nodes"] if uid in models}

    problems = []
    report = exposures.get(REPORT_EXPOSURE)
    if report is None:
        problems.append(f"{REPORT_EXPOSURE}: no exposure for the HTML report")
    else:
        problems += [
            f"{REPORT_EXPOSURE}: does not name {mart}, which the report reads" for mart in sorted(report_marts - reads(report))
        ]
        problems += [
            f"{REPORT_EXPOSURE}: names {mart}, which the report does not read" for mart in sorted(reads(report) - report_marts)
        ]
    published = published_models(manifest)
    for tool in bi_tools:
        exposure = by_label.get(tool)
        if exposure is None:
            problems.append(f"{tool}: the README's BI recipe has no exposure")
            continue
        problems += [
            f"{tool}: does not name {mart}, which the serving DB publishes" for mart in sorted(published - reads(exposure))
        ]
    problems += [f"{label}: an exposure for a tool the README does not list" for label in sorted(set(by_label) - set(bi_tools))]
    return problems
