"""The dbt project: where it lives, its manifest, and when that manifest is prepared.

The manifest (`dbt/target/manifest.json`) is what `@dbt_assets` reads to define the assets. It is
prepared by dagster-dbt's own preparation (`dagster-dbt project prepare-and-package --file
dagster_project/assets/dbt_project.py`, which `make install` runs whenever a dbt file changed), never
by a subprocess at import: importing the definitions costs what reading the manifest costs.

Two places prepare it on demand, each only when the project changed since it was last prepared
(an mtime comparison of a few hundred files, milliseconds): `dagster dev`, so a model edited while
the UI runs shows on reload, and the CLI commands that start Dagster or dbt (`nhs-warehouse build`,
`daemon`, `dev`, ...), so a developer who edits a model and runs the CLI never meets a stale manifest. dagster-dbt's default preparer parses on every
load under `dagster dev`, and `dagster dev` passes its environment to every run process it starts,
so each run would have paid a parse (6-8 s here); this one parses when something changed.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer, using_dagster_dev

from dagster_project.settings import DBT_PROJECT_DIR

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

# What dbt reads when it parses: a change to any of these makes the manifest stale.
_SOURCE_DIRS = ("models", "macros", "seeds", "tests", "snapshots")


def newest_source_mtime(project_dir: Path = DBT_PROJECT_DIR) -> float:
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in _SOURCE_DIRS:
        files.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in files if p.exists())


def dbt_executable() -> str:
    """dbt from this environment, even when the venv is not activated (e.g. `.venv/bin/nhs-warehouse`)."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < newest_source_mtime(Path(dbt_project.project_dir))


def prepare_dbt_project() -> bool:
    """dagster-dbt's preparation (`dbt parse`) if any project file changed since the manifest was written.

    Returns whether it parsed."""
    if not manifest_is_stale():
        return False
    # dagster-dbt runs `dbt` from PATH: this environment's, even when the venv is not activated.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    DagsterDbtProjectPreparer().prepare(dbt_project)
    return True


def require_manifest() -> Path:
    """The prepared manifest, or a clear error saying how to prepare it (never a parse at import)."""
    if using_dagster_dev():
        prepare_dbt_project()
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        raise RuntimeError(
            f"no dbt manifest at {manifest}: prepare the dbt project first with `make install` "
            "(or `dagster-dbt project prepare-and-package --file dagster_project/assets/dbt_project.py`)"
        )
    return manifest
