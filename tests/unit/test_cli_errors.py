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
        (
            ["build", "--force", "no_such_source"],
            {},
            "argument --force: invalid choice: 'no_such_source' (choose from 'uec_ae_monthly'",
        ),
        ([], {}, "a command is needed"),
        (["query"], {}, "the following arguments are required: sql"),
        (["query", "select 1", "--format", "xml"], {}, "invalid choice: 'xml' (choose from 'table', 'csv', 'json')"),
        (["status"], {"NHS_WAREHOUSE_HTTP_TIMEOUT": "soon"}, "NHS_WAREHOUSE_HTTP_TIMEOUT='soon': Input should be a valid number"),
        (
            ["status"],
            {"NHS_WAREHOUSE_DUCKDB_THREADS": "1.5"},
            "NHS_WAREHOUSE_DUCKDB_THREADS='1.5': Input should be a valid integer",
        ),
        (
            ["status"],
            {"NHS_WAREHOUSE_DUCKDB_THREADS": "0"},
            "NHS_WAREHOUSE_DUCKDB_THREADS='0': Input should be greater than or equal to 1",
        ),
        (
            ["status"],
            {"NHS_WAREHOUSE_DUCKDB_MEMORY_LIMIT": "lots"},
            "NHS_WAREHOUSE_DUCKDB_MEMORY_LIMIT='lots': String should match pattern",
        ),
        (["status"], {"NHS_WAREHOUSE_EXECUTOR": "spark"}, "NHS_WAREHOUSE_EXECUTOR='spark': String should match pattern"),
        (
            ["status"],
            {"NHS_WAREHOUSE_POLL_PUBLISHERS": "sometimes"},
            "NHS_WAREHOUSE_POLL_PUBLISHERS='sometimes': Input should be a valid boolean",
        ),
        (
            ["status"],
            {"NHS_WAREHOUSE_LANDING_INTERVAL": "-5"},
            "NHS_WAREHOUSE_LANDING_INTERVAL='-5': Input should be greater than or equal to 1",
        ),
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


def test_progress_shows_counts_on_a_terminal_and_nothing_when_piped(tmp_path):
    """`ingest` of several files draws a bar with done/total on a terminal (a pty, via util-linux
    `script`) and prints only its result lines when its output is a pipe."""
    import os
    import shlex
    import shutil
    import subprocess

    from tests.conftest import CLI, uec_sample

    files = [uec_sample("June-2023"), uec_sample("May-2023")]
    piped = run_cli("ingest", *map(str, files), home=tmp_path / "piped", check=True)
    assert "files" not in piped.stdout and "Landing" not in piped.stdout
    assert piped.stdout.count("landed for") == 2

    if shutil.which("script") is None:
        pytest.skip("util-linux `script` (a pty) is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_")}
    env |= {"NHS_WAREHOUSE_HOME": str(tmp_path / "tty"), "COLUMNS": "120", "TERM": "xterm"}
    command = shlex.join([str(CLI), "ingest", *map(str, files)])
    shown = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, env=env, timeout=300)
    assert shown.returncode == 0, shown.stdout
    assert "0/2" in shown.stdout and "2/2" in shown.stdout and "files" in shown.stdout
    assert shown.stdout.count("landed for") == 2
