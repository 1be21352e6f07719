"""dbt source freshness, run by the `check_source_freshness` job over a built warehouse: each raw table's
newest `_loaded_at` against its spec's cadence, as asset checks, and a stale one alerting as its
source overdue (the same incident Dagster's freshness policy raises), resolved when it is fresh again.

Time passing is the one thing staged: the copy's `_loaded_at` values are moved back with an UPDATE
on the real warehouse file; dbt, the Dagster run and the alert log are the real ones.
"""

from __future__ import annotations

import duckdb
import pytest

from dagster_project import runner
from dagster_project.settings import load_settings
from dagster_project.sources import SOURCES

pytestmark = pytest.mark.slow

CHECK = "dbt_source_freshness"


def loaded_days_ago(settings, table: str, days: int | None) -> None:
    """Move every row's load time back `days` days (None: to now)."""
    con = duckdb.connect(str(settings.warehouse_db))
    try:
        when = "current_timestamp" if days is None else f"current_timestamp - interval {days} day"
        con.execute(f"update raw.{table} set _loaded_at = ({when})::timestamp")
    finally:
        con.close()


def alert_rows(settings) -> list[tuple[str, str, str]]:
    con = duckdb.connect(str(settings.alerts_db), read_only=True)
    try:
        return con.execute("select incident_key, state, title from alerts order by raised_at, state").fetchall()
    finally:
        con.close()


def test_a_stale_raw_table_alerts_as_overdue_and_resolves_when_loaded_again(built_home_copy, monkeypatch):
    monkeypatch.setenv("NHS_WAREHOUSE_HOME", str(built_home_copy))
    settings = load_settings()
    error_days = SOURCES["uec_ae_monthly"].release_cadence.overdue_after[1].days  # 38 for a monthly release
    warn_days = SOURCES["uec_ambsys_monthly"].release_cadence.overdue_after[0].days  # 33
    loaded_days_ago(settings, "uec_ae_monthly", error_days + 2)
    loaded_days_ago(settings, "uec_ambsys_monthly", warn_days + 2)

    builds = sorted(settings.dbt_runs_dir.iterdir())
    freshness_runs = settings.dbt_runs_dir.parent / "freshness_runs"
    earlier = set(freshness_runs.iterdir()) if freshness_runs.exists() else set()  # the build's own check
    summary = runner.run_source_freshness(settings)
    assert summary.success, summary.error
    # dbt's own results are kept beside the builds' run folders, never among them (which keep builds only).
    assert sorted(settings.dbt_runs_dir.iterdir()) == builds
    (kept,) = set(freshness_runs.iterdir()) - earlier
    assert (kept / "sources.json").exists()
    results = {name.split(":")[0]: passed for name, passed in summary.check_results.items() if name.endswith(f":{CHECK}")}
    # Every source with a dbt source table is measured; the two moved back fail, the others loaded
    # by the build pass or (no sample bundled) were never loaded.
    assert set(results) == {f"raw/{key}" for key in SOURCES}
    assert not results["raw/uec_ae_monthly"] and not results["raw/uec_ambsys_monthly"]
    ae = summary.check_metadata[f"raw/uec_ae_monthly:{CHECK}"]
    assert ae["status"] == "error" and ae["error_after_days"] == error_days and ae["age_days"] >= error_days + 2
    assert summary.check_metadata[f"raw/uec_ambsys_monthly:{CHECK}"]["status"] == "warn"
    never = {n.split(":")[0] for n, m in summary.check_metadata.items() if m.get("never_loaded")}
    assert all(results[name] for name in results if name not in never | {"raw/uec_ae_monthly", "raw/uec_ambsys_monthly"})
    assert "raw/uec_ae_monthly" in summary.failed_checks[0] and len(summary.failed_checks) == 1  # WARNs page nobody

    # The error is the source's overdue incident (one key with Dagster's own freshness verdict);
    # the warning and the never-loaded tables are for the UI only.
    assert alert_rows(settings) == [
        (
            "asset_overdue:uec_ae_monthly",
            "firing",
            f"[nhs-warehouse] raw/uec_ae_monthly is overdue: last loaded {ae['max_loaded_at']}",
        )
    ]

    runner.run_source_freshness(settings)  # still stale: the open incident is not raised again
    assert len(alert_rows(settings)) == 1

    loaded_days_ago(settings, "uec_ae_monthly", None)  # a new load
    summary = runner.run_source_freshness(settings)
    assert summary.check_results[f"raw/uec_ae_monthly:{CHECK}"]
    assert [(key, state) for key, state, _ in alert_rows(settings)] == [
        ("asset_overdue:uec_ae_monthly", "firing"),
        ("asset_overdue:uec_ae_monthly", "resolved"),
    ]


def test_a_raw_table_dbt_cannot_read_fails_the_check_with_dbts_error(built_home_copy, monkeypatch):
    monkeypatch.setenv("NHS_WAREHOUSE_HOME", str(built_home_copy))
    settings = load_settings()
    con = duckdb.connect(str(settings.warehouse_db))
    try:
        con.execute("alter table raw.mh_oaps_monthly drop column _loaded_at")
    finally:
        con.close()
    summary = runner.run_source_freshness(settings)
    name = f"raw/mh_oaps_monthly:{CHECK}"
    assert not summary.check_results[name] and name in summary.failed_checks
    assert summary.check_metadata[name]["status"] == "runtime error"
    assert "_loaded_at" in summary.check_descriptions[name]


def test_only_the_freshness_job_runs_dbt_source_freshness(built_home, monkeypatch):
    """A build's load and marts runs evaluate their own checks (the gate, dbt tests), not the source
    freshness checks: Dagster would add every check on a selected asset, and a multi-source build
    paid a dbt invocation per load. The build's last run is the freshness job, over every source."""
    from dagster import AssetCheckKey, DagsterEventType, RunsFilter

    from dagster_project.assets.catalog import checks_of, selection_for_load
    from dagster_project.runner import get_instance

    selection = selection_for_load("uec_ae_monthly", None)
    assert AssetCheckKey(selection[0], "great_expectations_gate") in checks_of(selection)
    assert not [check for check in checks_of(selection) if check.name == CHECK]

    monkeypatch.setenv("NHS_WAREHOUSE_HOME", str(built_home))
    instance = get_instance(load_settings())
    evaluated_by_job: dict[str, set[str]] = {}
    for run in instance.get_runs(RunsFilter()):
        records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
        names = {r.event_log_entry.dagster_event.event_specific_data.check_name for r in records}
        evaluated_by_job.setdefault(run.job_name, set()).update(names)
    assert {job for job, names in evaluated_by_job.items() if CHECK in names} == {"check_source_freshness"}
    assert evaluated_by_job["check_source_freshness"] == {CHECK}
    assert "great_expectations_gate" in evaluated_by_job["load_uec_ae_monthly"]
