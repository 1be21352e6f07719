"""The production Dagster instance (deploy/dagster.yaml) on a real PostgreSQL server.

The UEC slice (two real A&E months loaded through the gate, then dbt and publish) runs with an
instance whose run, event log and schedule storage are PostgreSQL, exactly as a shared deployment
would configure it; the run history is then read back, through Dagster and straight from the
database. CI starts the server (.ci/run); elsewhere a throwaway cluster is started on loopback when
PostgreSQL is installed (tests/support/postgres.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from dagster import AssetKey, DagsterRunStatus

from dagster_project import runner
from dagster_project.ingest.intake import intake
from dagster_project.settings import PROJECT_ROOT, load_settings
from dagster_project.sources import SOURCES
from tests.conftest import uec_sample
from tests.support import postgres as pg

pytestmark = [pytest.mark.slow, pytest.mark.system]

DEPLOY_INSTANCE = PROJECT_ROOT / "deploy" / "dagster.yaml"
MONTHS = ["2023-05-01", "2023-06-01"]


@pytest.fixture(scope="module")
def server():
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        found = pg.from_url(url)
        pg.wait_until_accepting(found)
        yield found
        return
    bin_dir = pg.server_binaries()
    if bin_dir is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but neither TEST_POSTGRES_URL nor a PostgreSQL server install was found")
        pytest.skip("no PostgreSQL server installed and TEST_POSTGRES_URL not set (.ci/run provides one)")
    with pg.throwaway_cluster(bin_dir) as started:
        yield started


@pytest.fixture
def deployment(server, tmp_path, monkeypatch):
    """A warehouse home whose Dagster instance is deploy/dagster.yaml, storing in `server`."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copyfile(DEPLOY_INSTANCE, dagster_home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.setenv("NHS_WAREHOUSE_HOME", str(tmp_path / "home"))
    for name, value in server.dagster_env().items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    settings.ensure_dirs()
    return settings


def _psql(server: pg.Postgres, sql: str) -> list[list[str]]:
    """Ask the database itself, with the psql client, not through Dagster."""
    env = {**os.environ, "PGPASSWORD": server.password}
    out = subprocess.run(
        [
            "psql",
            "-h",
            server.host,
            "-p",
            str(server.port),
            "-U",
            server.user,
            "-d",
            server.db_name,
            "-At",
            "-F",
            "\t",
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def test_the_uec_slice_runs_on_postgres_storage_and_its_history_reads_back(server, deployment):
    store = runner.store_for(deployment)
    for month in ("May-2023", "June-2023"):
        assert intake(uec_sample(month), store, SOURCES.values()).status == "landed"

    loaded = runner.run_load(deployment, "uec_ae_monthly", MONTHS, transform=False)
    assert loaded.success and not loaded.failed_checks, loaded.error
    built = runner.run_marts(deployment)
    assert built.success and not built.failed_checks, (built.error, built.failed_checks)

    instance = runner.get_instance(deployment)
    try:
        # The instance is the deployment's: PostgreSQL storage, a run queue with the writer limit.
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": "nhs_warehouse/writer", "limit": 1} in [dict(limit) for limit in limits]

        runs = {run.job_name: run for run in instance.get_runs()}
        assert set(runs) == {"load_uec_ae_monthly", "build_marts"}
        assert {run.status for run in runs.values()} == {DagsterRunStatus.SUCCESS}
        assert runs["load_uec_ae_monthly"].tags["dagster/asset_partition_range_start"] == MONTHS[0]

        # What the runs materialised is in the event log: both months of raw, the marts, the snapshot served.
        raw = AssetKey(["raw", "uec_ae_monthly"])
        assert instance.get_materialized_partitions(raw) == set(MONTHS)
        latest = instance.get_latest_materialization_event(raw).asset_materialization
        assert latest.metadata["partitions_loaded"].value == 2
        mart = instance.get_latest_materialization_event(AssetKey(["marts", "mart_uec_region_month"]))
        assert mart is not None and mart.run_id == runs["build_marts"].run_id
    finally:
        instance.dispose()

    # The same history, read from PostgreSQL directly.
    rows = _psql(server, "select pipeline_name, status from runs order by create_timestamp")
    assert rows == [["load_uec_ae_monthly", "SUCCESS"], ["build_marts", "SUCCESS"]]
    events = _psql(server, "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")
    assert int(events[0][0]) >= 3


def test_the_deploy_instance_refuses_to_start_without_its_database_settings(tmp_path, monkeypatch):
    """A missing setting fails loudly at start-up, never a silent fall back to local SQLite files."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY_INSTANCE, home / "dagster.yaml")
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(Exception, match="DAGSTER_PG_"):
        DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
