"""Bad input through the CLI, as a user meets it: each file is rejected with a message naming the
file and the row or column, lands in quarantine with its reason, and what was loaded and published
before stays as it was."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import SHARED_DIR, run_cli, uec_sample

pytestmark = pytest.mark.slow

LONDON_JUNE = (
    "select dta_waits_over_12h from mart_uec_region_month "
    "where month_start = date '2023-06-01' and region_name = 'London'"
)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A warehouse with the real June 2023 file loaded and published."""
    root = tmp_path_factory.mktemp("bad-input")
    home = root / "home"
    run_cli("ingest", str(uec_sample("June-2023")), home=home, check=True)
    run_cli("build", "--no-samples", home=home, check=True)
    return home


def _state(home):
    version = run_cli("query", "--format", "csv", "select version from _publication", home=home, check=True).stdout
    london = run_cli("query", "--format", "csv", LONDON_JUNE, home=home, check=True).stdout
    return version, london


def _reason(home, file_name):
    for path in (home / "quarantine").glob("*/*.reason.json"):
        record = json.loads(path.read_text())
        if record["original_name"] == file_name:
            return record
    raise AssertionError(f"{file_name} is not in quarantine")


def _damage(tmp_path, name, edit):
    rows = list(csv.reader(io.StringIO(uec_sample("June-2023").read_text(encoding="utf-8-sig"))))
    rows = edit(rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _set(rows, line, column, value):
    rows[line - 1][rows[0].index(column)] = value
    return rows


def _drop_column(rows, column):
    i = rows[0].index(column)
    return [r[:i] + r[i + 1 :] for r in rows]


TWELVE = "Patients who have waited 12+ hrs from DTA to admission"

CASES = {
    # file name: (how to damage a copy of the real June 2023 file, what the message must name)
    "June-2023-truncated.csv": (None, ["June-2023-truncated.csv", "row "]),
    "June-2023-no-12h-column.csv": (lambda rows: _drop_column(rows, TWELVE), ["June-2023-no-12h-column.csv", "column 'dta_waits_over_12h'"]),
    "June-2023-non-numeric.csv": (lambda rows: _set(rows, 9, TWELVE, "twelve"), ["June-2023-non-numeric.csv", "row 9", "column 'dta_waits_over_12h'", "'twelve'"]),
    "June-2023-empty.csv": ("", ["June-2023-empty.csv", "empty"]),
    "System-Mapping.csv": (SHARED_DIR / "data" / "reference" / "lookups" / "nhse_system_mapping_2025-26.csv", ["System-Mapping.csv", "not a file of any known publication"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_file_that_cannot_be_read_is_rejected_at_ingest(published, tmp_path, name):
    before = _state(published)
    how, must_name = CASES[name]
    if how is None:
        data = uec_sample("June-2023").read_bytes()
        (path := tmp_path / name).write_bytes(data[: len(data) * 2 // 3])
    elif isinstance(how, str):
        (path := tmp_path / name).write_text(how)
    elif callable(how):
        path = _damage(tmp_path, name, how)
    else:
        (path := tmp_path / name).write_bytes(how.read_bytes())
    result = run_cli("ingest", str(path), home=published)
    assert result.returncode == 1
    for words in must_name:
        assert words in result.stdout, result.stdout
    reason = _reason(published, name)
    assert reason["error"]["message"]
    assert (published / "quarantine" / reason["source"] / reason["stored_name"]).read_bytes() == path.read_bytes()
    # Nothing landed, so a build has nothing to do and the published marts are unchanged.
    build = run_cli("build", "--no-samples", home=published, check=True)
    assert "no pending partitions" in build.stdout
    assert _state(published) == before


def test_totals_that_do_not_reconcile_fail_the_gate_and_keep_the_published_month(published, tmp_path):
    before = _state(published)
    path = _damage(tmp_path, "June-2023-totals-off.csv", lambda rows: _set(rows, 9, TWELVE, str(int(rows[8][rows[0].index(TWELVE)]) + 50)))
    assert run_cli("ingest", str(path), home=published).returncode == 0  # it parses: the gate decides
    build = run_cli("build", "--no-samples", home=published)
    assert build.returncode == 1
    assert "raw/uec_ae_monthly:great_expectations_gate" in build.stderr
    assert "quarantined June-2023-totals-off.csv" in build.stdout
    assert "England total" in build.stdout
    assert _reason(published, "June-2023-totals-off.csv")["error"]["reason"] == "validation_failed"
    assert _state(published) == before
    status = run_cli("status", home=published, check=True).stdout
    assert "June-2023-totals-off.csv" in status and "validation_failed" in status
