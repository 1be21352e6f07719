"""The marts BI tools read are under dbt contracts (dbt_project.yml): a build whose SQL gives a column
another type than the YAML promises fails before the published table changes."""

from __future__ import annotations

import duckdb
import pytest

from tests.support.dbt_runs import copy_project, edit, run_dbt

pytestmark = pytest.mark.slow


def test_a_mart_whose_type_differs_from_its_contract_fails_and_keeps_its_table(built_home, tmp_path):
    warehouse = built_home / "warehouse.duckdb"
    kept = run_dbt(tmp_path / "as-declared", warehouse, "run", "--select", "dim_region")
    assert kept.returncode == 0 and kept.status_of("model.nhs_warehouse.dim_region") == "success", kept.output

    # The YAML promises an integer region code; the SQL still selects text (Y56).
    project = copy_project(tmp_path / "dbt")
    edit(
        project / "models" / "marts" / "core" / "_core__models.yml",
        "        description: ODS code of the region (Y56-Y63).\n        data_type: string\n",
        "        description: ODS code of the region (Y56-Y63).\n        data_type: bigint\n",
    )
    broken = run_dbt(tmp_path / "broken", warehouse, "run", "--select", "dim_region", project_dir=project)
    assert broken.returncode != 0 and broken.status_of("model.nhs_warehouse.dim_region") == "error"
    assert "contract" in broken.output.lower() and "region_code" in broken.output, broken.output
    con = duckdb.connect(str(tmp_path / "broken" / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute(
            "select data_type from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'dim_region' and column_name = 'region_code'"
        ).fetchone() == ("VARCHAR",)
    finally:
        con.close()
