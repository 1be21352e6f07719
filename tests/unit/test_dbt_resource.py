"""The dbt resource skips what dagster-dbt's `cli()` paid before dbt started (a `dbt --version`
subprocess, an in-process adapter with the project's macros parsed), and says the same dbt version.

These override private methods of dagster-dbt: the first test fails when dagster-dbt renames them or
stops calling them from `cli()`, so the override is revisited then, not silently dropped.
"""

from __future__ import annotations

import inspect
import re
import subprocess

from dagster_dbt import DbtCliResource

from dagster_project.assets.dbt_project import dbt_executable, dbt_project
from dagster_project.resources import WarehouseDbtCliResource


def resource() -> WarehouseDbtCliResource:
    return WarehouseDbtCliResource(
        project_dir=dbt_project, profiles_dir=str(dbt_project.project_dir), dbt_executable=dbt_executable()
    )


def test_dagster_dbt_still_calls_what_the_resource_overrides():
    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source and "self._initialize_dbt_core_adapter(" in source
    assert isinstance(
        inspect.getattr_static(DbtCliResource, "_cli_version"),
        type(inspect.getattr_static(WarehouseDbtCliResource, "_cli_version")),
    )


def test_the_version_is_the_one_the_dbt_executable_reports():
    reported = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True).stdout
    installed = re.search(r"installed:\s+(\d+\.\d+\.\d+)", reported).group(1)
    assert str(resource()._cli_version) == installed


def test_cli_starts_dbt_without_an_adapter_or_a_version_subprocess(tmp_path, monkeypatch):
    import dagster_dbt.core.resource as dagster_dbt_resource

    ran = []  # what dagster-dbt runs through check_output (its `dbt --version`), still run for real
    real = dagster_dbt_resource.check_output
    monkeypatch.setattr(dagster_dbt_resource, "check_output", lambda args, **kw: ran.append(args) or real(args, **kw))
    invocation = resource().cli(["debug", "--config-dir"], target_path=tmp_path / "target", raise_on_error=False)
    invocation.wait()
    assert invocation.adapter is None and ran == []
    assert invocation.process.returncode == 0
