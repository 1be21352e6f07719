"""A user's mistake is one line naming what was wrong and what is allowed, exit status 2, no traceback;
`--debug` shows the traceback. Run as a user would: the installed console script, its own process."""

from __future__ import annotations

import pytest
from tests.conftest import run_cli

UNKNOWN_SOURCE = "unknown source 'no-such-source'; known: ascof_council_measures"


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["ingest", "README.md", "--source", "no-such-source"], {}, UNKNOWN_SOURCE),
        (["bogus"], {}, "invalid choice: 'bogus' (choose from 'build'"),
        ([], {}, "a command is needed"),
        (["query"], {}, "the following arguments are required: sql"),
        (["query", "select 1", "--format", "xml"], {}, "invalid choice: 'xml' (choose from 'table', 'csv', 'json')"),
        (["status"], {"NHS_WAREHOUSE_HTTP_TIMEOUT": "soon"}, "NHS_WAREHOUSE_HTTP_TIMEOUT='soon': Input should be a valid number"),
        (["status"], {"NHS_WAREHOUSE_DUCKDB_THREADS": "1.5"}, "NHS_WAREHOUSE_DUCKDB_THREADS='1.5': Input should be a valid integer"),
        (["status"], {"NHS_WAREHOUSE_DUCKDB_THREADS": "0"}, "NHS_WAREHOUSE_DUCKDB_THREADS='0': Input should be greater than or equal to 1"),
        (["status"], {"NHS_WAREHOUSE_DUCKDB_MEMORY_LIMIT": "lots"}, "NHS_WAREHOUSE_DUCKDB_MEMORY_LIMIT='lots': String should match pattern"),
        (["status"], {"NHS_WAREHOUSE_EXECUTOR": "spark"}, "NHS_WAREHOUSE_EXECUTOR='spark': String should match pattern"),
        (["status"], {"NHS_WAREHOUSE_POLL_PUBLISHERS": "sometimes"}, "NHS_WAREHOUSE_POLL_PUBLISHERS='sometimes': Input should be a valid boolean"),
        (["status"], {"NHS_WAREHOUSE_LANDING_INTERVAL": "-5"}, "NHS_WAREHOUSE_LANDING_INTERVAL='-5': Input should be greater than or equal to 1"),
    ],
)
def test_a_usage_error_is_one_line_with_exit_status_2(tmp_path, args, env, says):
    result = run_cli(*args, home=tmp_path / "home", env=env)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_missing_path_is_a_usage_error_and_the_others_still_land(tmp_path):
    real = tmp_path / "June-2023.csv"
    from tests.conftest import uec_sample

    real.write_bytes(uec_sample("June-2023").read_bytes())
    result = run_cli("ingest", str(tmp_path / "nope.csv"), str(real), home=tmp_path / "home")
    assert result.returncode == 2
    assert "nope.csv: no such file or folder" in result.stderr
    assert "uec_ae_monthly" in result.stdout  # the real file landed: nothing given is lost


def test_debug_shows_the_traceback(tmp_path):
    result = run_cli("--debug", "ingest", "README.md", "--source", "no-such-source", home=tmp_path / "home")
    assert result.returncode != 0 and "Traceback" in result.stderr and "UnknownSource" in result.stderr


def test_settings_prints_the_effective_settings_with_secrets_masked(tmp_path):
    result = run_cli("--settings", home=tmp_path / "home", env={"NHS_WAREHOUSE_CQC_API_KEY": "s3cret"}, check=True)
    assert "NHS_WAREHOUSE_CQC_API_KEY" in result.stdout and "********" in result.stdout
    assert "s3cret" not in result.stdout
    assert str(tmp_path / "home") in result.stdout
