"""`nhs-warehouse docs` builds dbt docs and GX Data Docs into the home and serves them on localhost,
waiting for a running load's lock on the warehouse file rather than failing on it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import CLI

pytestmark = [pytest.mark.slow, pytest.mark.system]

HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])  # a writer, as a load is
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read()


@pytest.fixture
def docs_home(built_home, tmp_path):
    """A copy of the built warehouse file and validation results (the docs command writes beside them)."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy2(built_home / "warehouse.duckdb", home / "warehouse.duckdb")
    shutil.copytree(built_home / "validation", home / "validation")
    return home


def test_docs_are_built_and_served_on_localhost_while_a_writer_holds_the_warehouse(docs_home):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(docs_home / "warehouse.duckdb"), "30"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_")}
    env |= {"NHS_WAREHOUSE_HOME": str(docs_home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "COLUMNS": "200"}
    log = open(docs_home / "docs-command.log", "w")
    server = subprocess.Popen(
        [str(CLI), "docs", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, (docs_home / "docs-command.log").read_text()
            try:
                landing = _get(base + "/").decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "docs were not served within 600 s"
                time.sleep(1)
        assert holder.wait(timeout=60) == 0

        assert "mart_uec_region_month" in landing and 'href="gx/index.html"' in landing

        manifest = json.loads(_get(base + "/dbt/manifest.json"))
        mart = manifest["nodes"]["model.nhs_warehouse.mart_uec_region_month"]
        assert "figure 20" in mart["description"]
        assert mart["columns"]["dta_waits_over_12h"]["description"].startswith("Patients who waited over 12 hours")

        catalog = json.loads(_get(base + "/dbt/catalog.json"))
        columns = catalog["nodes"]["model.nhs_warehouse.mart_uec_region_month"]["columns"]
        assert columns["dta_waits_over_12h"]["type"] == "BIGINT"

        assert b"<title>dbt Docs</title>" in _get(base + "/dbt/index.html")
        assert b"model.nhs_warehouse.mart_uec_region_month" in _get(base + "/dbt/static_index.html")
        assert b"uec_ae_monthly" in _get(base + "/gx/index.html")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        # Not a timing check: the server stops on SIGTERM (asserted below), but while other work
        # loaded this machine with disk I/O its exit once took over 30 s to be reported.
        try:
            server.wait(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        if holder.poll() is None:
            holder.kill()
    assert server.returncode == -signal.SIGTERM, f"the docs server did not stop on SIGTERM ({server.returncode})"
    output = (docs_home / "docs-command.log").read_text()
    assert f"http://127.0.0.1:{port}/" in output
    validations = int(re.search(r"GX Data Docs: (\d+) validation results", output).group(1))
    assert validations >= 9  # one per source loaded: a run's partitions are validated together
    assert (docs_home / "docs" / "gx" / "index.html").exists()
    # dbt met the writer's lock and waited for it (the command logs each retry).
    build_log = "".join(p.read_text() for p in (docs_home / "logs").glob("docs-*.log"))
    assert "warehouse file locked by another process" in build_log
