"""Bad input through the CLI, as a user meets it: each file is rejected with a message naming the
file and the row or column, lands in quarantine with its reason, and what was loaded and published
before stays as it was."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli, uec_sample
from tests.corpus.cases import by_file

pytestmark = pytest.mark.slow

LONDON_JUNE = (
    "select dta_waits_over_12h from mart_uec_region_month where month_start = date '2023-06-01' and region_name = 'London'"
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


# A few corpus files (tests/corpus/) through the CLI, as a user meets them; every corpus file is
# checked at the loader level in tests/reliability/test_corpus.py.
AT_INTAKE = [
    "truncated-mid-row.csv",
    "header-renamed.csv",
    "non-numeric-count.csv",
    "zero-bytes.csv",
    "Monthly-AE-June-2023.csv",
    "html-error-page.csv",
]


@pytest.mark.parametrize("name", AT_INTAKE)
def test_a_file_that_cannot_be_read_is_rejected_at_ingest(published, name):
    before = _state(published)
    case = by_file(name)
    path = case.path
    result = run_cli("ingest", str(path), home=published)
    assert result.returncode == 1
    for words in (name, *case.outcome.names):
        assert words in result.stdout, result.stdout
    reason = _reason(published, name)
    assert reason["error"]["reason"] == case.outcome.reason
    assert (published / "quarantine" / reason["source"] / reason["stored_name"]).read_bytes() == path.read_bytes()
    # Nothing landed, so a build has nothing to do and the published marts are unchanged.
    build = run_cli("build", "--no-samples", home=published, check=True)
    assert "no pending partitions" in build.stdout
    assert _state(published) == before


def test_totals_that_do_not_reconcile_fail_the_gate_and_keep_the_published_month(published):
    before = _state(published)
    path = by_file("totals-off.csv").path
    assert run_cli("ingest", str(path), home=published).returncode == 0  # it parses: the gate decides
    build = run_cli("build", "--no-samples", home=published)
    assert build.returncode == 1
    assert "raw/uec_ae_monthly:great_expectations_gate" in build.stderr
    assert "quarantined totals-off.csv" in build.stdout
    assert "England total" in build.stdout
    assert _reason(published, "totals-off.csv")["error"]["reason"] == "validation_failed"
    assert _state(published) == before
    status = run_cli("status", home=published, check=True).stdout
    assert "totals-off.csv" in status and "validation_failed" in status
