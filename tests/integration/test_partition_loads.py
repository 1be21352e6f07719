"""The raw layer contract on real A&E months: idempotent loads, revisions, the gate, crash safety.

These drive the PartitionLoader directly (the code the Dagster raw asset runs), with the real GX
gate and a real DuckDB file; the CLI and Dagster paths are covered in test_build.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap

import duckdb
import pytest

from dagster_project.ingest.intake import intake
from dagster_project.resources import WarehouseResource
from dagster_project.sources import SOURCES
from dagster_project.sources.uec import UEC_AE_MONTHLY
from dagster_project.warehouse import open_warehouse
from tests.conftest import uec_sample

JUNE = "2023-06-01"


def _load(settings, period=JUNE):
    loader = WarehouseResource(home=str(settings.home)).loader(UEC_AE_MONTHLY)
    with open_warehouse(settings.warehouse_db) as con:
        return loader.load(con, period)


def _ingest(settings, path):
    store = WarehouseResource(home=str(settings.home)).store()
    return intake(path, store, SOURCES.values())


def _query(settings, sql, params=()):
    con = duckdb.connect(str(settings.warehouse_db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _edit_counts(path, org_code, column_name, delta, *, also_total=True):
    """Change one provider's count (and, when asked, the England total row) in a copy of a real file."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    col = rows[0].index(column_name)
    for row in rows[1:]:
        if row[1] == org_code or (also_total and row[1].strip().casefold() == "total"):
            row[col] = str(int(row[col]) + delta)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


TWELVE_HOURS = "Patients who have waited 12+ hrs from DTA to admission"


@pytest.fixture(scope="module")
def june(tmp_path_factory):
    """A home with the real June 2023 file landed and loaded (a module's tests build on it in order)."""
    from dagster_project.settings import load_settings

    home = tmp_path_factory.mktemp("loads") / "home"
    os.environ["NHS_WAREHOUSE_HOME"] = str(home)
    try:
        settings = load_settings()
    finally:
        del os.environ["NHS_WAREHOUSE_HOME"]
    settings.ensure_dirs()
    assert _ingest(settings, uec_sample("June-2023")).status == "landed"
    outcome = _load(settings)
    assert outcome.status == "loaded", outcome.message
    return settings


def test_a_load_has_lineage_on_every_row(june):
    rows = _query(
        june,
        "select count(*), count(distinct _file_sha256), min(_row_number), max(_row_number), "
        "any_value(_file_name), any_value(_source_key) from raw.uec_ae_monthly where _period = ?",
        [JUNE],
    )
    count, files, first, last, name, source = rows[0]
    assert (count, files, first, source) == (204, 1, 2, "uec_ae_monthly")
    assert name == uec_sample("June-2023").name
    assert _query(june, "select dta_waits_over_12h from raw.uec_ae_monthly__totals where _period = ?", [JUNE]) == [(26488,)]


def test_loading_the_same_bytes_twice_changes_nothing(june):
    before = _query(june, "select * from raw.uec_ae_monthly order by org_code")
    assert _ingest(june, uec_sample("June-2023")).status == "already_landed"
    outcome = _load(june)
    assert outcome.status == "unchanged"
    assert _query(june, "select * from raw.uec_ae_monthly order by org_code") == before
    assert _query(june, "select count(*) from meta.partition_loads where period = ?", [JUNE]) == [(1,)]


def test_a_revised_file_replaces_the_month_and_keeps_the_old_vintage(june, copy_of):
    revision = _edit_counts(copy_of(uec_sample("June-2023"), "June-2023-revised-again.csv"), "RWY", TWELVE_HOURS, 5)
    assert _ingest(june, revision).status == "landed"
    outcome = _load(june)
    assert outcome.status == "loaded", outcome.message
    assert _query(june, "select dta_waits_over_12h from raw.uec_ae_monthly where org_code = 'RWY' and _period = ?", [JUNE]) == [
        (6,)
    ]
    assert _query(
        june, "select dta_waits_over_12h from raw_history.uec_ae_monthly where org_code = 'RWY' and _period = ?", [JUNE]
    ) == [(1,)]
    vintages = _query(june, "select file_name, is_current from meta.partition_loads where period = ? order by loaded_at", [JUNE])
    assert vintages == [(uec_sample("June-2023").name, False), ("June-2023-revised-again.csv", True)]
    assert _query(june, "select count(*) from raw.uec_ae_monthly where _period = ?", [JUNE]) == [(204,)]


def test_totals_that_do_not_reconcile_are_quarantined_and_the_month_keeps_its_data(june, copy_of):
    before = _query(june, "select * from raw.uec_ae_monthly order by org_code")
    bad = _edit_counts(copy_of(uec_sample("June-2023"), "June-2023-bad-totals.csv"), "RWY", TWELVE_HOURS, 100, also_total=False)
    assert _ingest(june, bad).status == "landed"  # it parses; the gate is what rejects it
    outcome = _load(june)
    assert outcome.status == "quarantined"
    failing = [f for f in outcome.gate.failures]
    assert [f.expectation for f in failing] == ["unexpected_rows_expectation"]
    assert "England total" in failing[0].expected
    assert "dta_waits_over_12h" in failing[0].observed
    assert _query(june, "select * from raw.uec_ae_monthly order by org_code") == before
    reason = json.loads(next((june.quarantine_dir / "uec_ae_monthly").glob("*.reason.json")).read_text())
    assert reason["original_name"] == "June-2023-bad-totals.csv"
    assert reason["error"]["reason"] == "validation_failed"
    assert _query(june, "select count(*) from meta.validation_results where not success") == [(1,)]
    assert _query(june, "select reason, file_name from meta.load_failures") == [("validation_failed", "June-2023-bad-totals.csv")]
    # The previous vintage is still the current one, so a retry finds nothing to do.
    assert _load(june).status == "unchanged"


CRASH_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from dagster_project.ingest import load

    class KillAfterDelete:
        '''Passes statements to DuckDB and kills the process right after the partition's rows are deleted.'''
        def __init__(self, con):
            self.con = con
        def execute(self, sql, *args):
            result = self.con.execute(sql, *args)
            if sql.startswith("delete from raw.uec_ae_monthly "):
                os.kill(os.getpid(), signal.SIGKILL)
            return result

    from dagster_project.resources import WarehouseResource
    from dagster_project.sources.uec import UEC_AE_MONTHLY
    from dagster_project.warehouse import open_warehouse
    original = load.swap_in
    load.swap_in = lambda con, staged, period=None: original(KillAfterDelete(con), staged, period)
    import dagster_project.ingest.partitions as partitions
    partitions.swap_in = load.swap_in
    loader = WarehouseResource(home=sys.argv[1]).loader(UEC_AE_MONTHLY)
    with open_warehouse(sys.argv[2]) as con:
        print(loader.load(con, sys.argv[3]).status)
    """
)


def test_a_crash_midway_through_a_load_leaves_the_previous_partition_intact(june, copy_of):
    before = _query(june, "select * from raw.uec_ae_monthly where _period = ? order by org_code", [JUNE])
    vintages = _query(june, "select * from meta.partition_loads order by loaded_at")
    revision = _edit_counts(copy_of(uec_sample("June-2023"), "June-2023-crash.csv"), "RWY", TWELVE_HOURS, 7)
    assert _ingest(june, revision).status == "landed"
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(june.home), str(june.warehouse_db), JUNE],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr[-3000:]
    assert _query(june, "select * from raw.uec_ae_monthly where _period = ? order by org_code", [JUNE]) == before
    assert _query(june, "select * from meta.partition_loads order by loaded_at") == vintages
    # After the crash, the load simply runs again and completes.
    outcome = _load(june)
    assert outcome.status == "loaded"
    assert _query(june, "select dta_waits_over_12h from raw.uec_ae_monthly where org_code = 'RWY' and _period = ?", [JUNE]) == [
        (8,)
    ]


# Runs last: it loads a partial May that would set the band for June.
def test_the_gate_rejects_a_month_whose_row_count_leaves_the_band(june, copy_of):
    lines = uec_sample("May-2023").read_text(encoding="utf-8-sig").splitlines()
    # Keep the header, 40 providers and a recomputed total: a file that reconciles but lost most rows.
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    header, providers = rows[0], [r for r in rows[1:41] if r[1].strip().casefold() != "total"]
    total = ["TOTAL"] * 4 + [str(sum(int(r[i]) for r in providers)) for i in range(4, len(header))]
    out = io.StringIO()
    csv.writer(out).writerows([header, *providers, total])
    path = copy_of(uec_sample("May-2023"), "May-2023-partial.csv")
    path.write_text(out.getvalue(), encoding="utf-8")
    assert _ingest(june, path).status == "landed"
    outcome = _load(june, "2023-05-01")
    # No earlier month is loaded, so there is no band yet: it loads.
    assert outcome.status == "loaded"
    july = copy_of(uec_sample("July-2023"))
    assert _ingest(june, july).status == "landed"
    assert _load(june, "2023-07-01").status == "loaded"  # 203 rows vs June's 204: inside the band
    # A partial August against July's 203 rows: outside the band.
    august = path.with_name("August-2023-partial.csv")
    august.write_text(out.getvalue().replace("MSitAE-MAY-2023", "MSitAE-AUGUST-2023"), encoding="utf-8")
    assert _ingest(june, august).status == "landed"
    outcome = _load(june, "2023-08-01")
    assert outcome.status == "quarantined"
    [failure] = outcome.gate.failures
    assert failure.expectation == "unexpected_rows_expectation" and "row count lies in its band" in failure.expected
    assert '"min_rows": 152, "max_rows": 254' in failure.observed  # July's 203 rows, give or take 25%
