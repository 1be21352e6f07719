"""dbt by hand on a copy of a built warehouse, from the project or a copy of it edited by a test.

Each run writes its own target folder under the test's folder, so the project's manifest (which
Dagster reads) is untouched, and works on its own copy of the warehouse file, so the shared built
home stays as built.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dagster_project.settings import DBT_PROJECT_DIR


@dataclass(frozen=True)
class DbtRun:
    returncode: int
    output: str
    statuses: dict[str, str]  # unique_id -> dbt's status (success, pass, fail, error, skipped)

    def status_of(self, name_part: str) -> str:
        matches = {uid: status for uid, status in self.statuses.items() if name_part in uid}
        assert len(matches) == 1, f"{name_part!r} matches {sorted(matches)}\n{self.output}"
        return next(iter(matches.values()))


def copy_project(dest: Path) -> Path:
    """The dbt project as it is in the repository, without its target folder, at `dest`."""
    shutil.copytree(DBT_PROJECT_DIR, dest, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a copied project file (fails if it is not there once)."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new))


def run_dbt(work: Path, warehouse_db: Path, *args: str, project_dir: Path = DBT_PROJECT_DIR) -> DbtRun:
    """`dbt <args>` against a copy of `warehouse_db` kept in `work` (copied on first use)."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / "warehouse.duckdb"
    if not db.exists():
        shutil.copyfile(warehouse_db, db)
    target = work / f"dbt-target-{len(list(work.glob('dbt-target-*')))}"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(target),
            "--log-path",
            str(work / "dbt-logs"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NHS_WAREHOUSE_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    return DbtRun(result.returncode, result.stdout + result.stderr, {r["unique_id"]: r["status"] for r in results})
