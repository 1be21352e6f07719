"""The Dagster webserver, started on loopback as `make dev` would, shows the asset graph and checks."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dagster_project.settings import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.system]

QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    isPartitioned
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, query: str) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture
def webserver(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_")}
    env |= {"DAGSTER_HOME": str(tmp_path / "dagster"), "NHS_WAREHOUSE_HOME": str(tmp_path / "home")}
    (tmp_path / "dagster").mkdir()
    exe = Path(sys.executable).parent / "dagster-webserver"
    log = open(tmp_path / "webserver.log", "w")
    proc = subprocess.Popen(
        [str(exe), "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/server_info", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("webserver did not answer:\n" + (tmp_path / "webserver.log").read_text()[-3000:])
            time.sleep(1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_graphql_lists_raw_dbt_and_publish_assets_with_their_checks(webserver):
    deadline = time.monotonic() + 120
    while True:  # the code location loads in the background after the server answers
        data = _post(webserver + "/graphql", QUERY)
        nodes = {"/".join(n["assetKey"]["path"]): n for n in (data.get("data") or {}).get("assetNodes") or []}
        if nodes or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert {"raw/uec_ae_monthly", "marts/mart_uec_region_month", "marts/fct_ae_provider_month", "serving/marts"} <= set(nodes)
    raw = nodes["raw/uec_ae_monthly"]
    assert raw["isPartitioned"] and raw["groupName"] == "uec"
    assert {"name": "great_expectations_gate", "blocking": True} in raw["assetChecksOrError"]["checks"]
    mart_checks = {c["name"] for c in nodes["marts/mart_uec_region_month"]["assetChecksOrError"]["checks"]}
    assert "assert_uec_published_figures_reproduced" in mart_checks
    assert any(name.startswith("unique_combination_of_columns") for name in mart_checks)
    assert nodes["serving/marts"]["groupName"] == "serving"
