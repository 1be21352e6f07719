"""Shared fixtures: an isolated warehouse home per test, the real samples, and a built warehouse."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.settings import PROJECT_ROOT, SAMPLES_DIR, Settings, load_settings

# The figures publishers printed, as the dbt seed the marts' tests read them (the repository tests itself).
PUBLISHED_FIGURES = PROJECT_ROOT / "dbt" / "seeds" / "reference" / "published_figures.csv"
CLI = Path(sys.executable).parent / "nhs-warehouse"
UEC_SAMPLES = sorted((SAMPLES_DIR / "uec").glob("*.csv"))


def uec_sample(month: str) -> Path:
    """The bundled A&E file for a month written like `June-2023` (or `June-2024`)."""
    matches = [p for p in UEC_SAMPLES if month in p.name]
    assert len(matches) == 1, f"expected one sample for {month}, found {matches}"
    return matches[0]


def pytest_configure(config):
    # The Dagster definitions are built from the dbt manifest; `make install` prepares it, and a
    # model edited since then is parsed again here (once, before any worker imports the definitions).
    if not hasattr(config, "workerinput"):
        from dagster_project.assets.dbt_project import prepare_dbt_project

        prepare_dbt_project()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    # Nothing a developer has set may leak into a test: each test names its own home.
    for name in list(os.environ):
        if name.startswith("NHS_WAREHOUSE_") or name == "DAGSTER_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    """An empty warehouse home for one test, set in the environment as the CLI would see it."""
    path = tmp_path / "home"
    monkeypatch.setenv("NHS_WAREHOUSE_HOME", str(path))
    settings = load_settings()
    settings.ensure_dirs()
    return settings


def run_cli(
    *args: str, home: Path, check: bool = False, timeout: float = 900, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run `nhs-warehouse` as a user would, in its own process, against `home`."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_") and k != "DAGSTER_HOME"}
    full_env |= {"NHS_WAREHOUSE_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "COLUMNS": "200"}
    full_env |= env or {}
    result = subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=timeout, env=full_env)
    if check and result.returncode != 0:
        raise AssertionError(f"nhs-warehouse {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """A warehouse built from every bundled sample by `nhs-warehouse build`, shared read-only by tests.

    Built once per test session, whichever pytest-xdist worker asks first (the others wait on a lock
    and use the same home). A test that changes a home takes `built_home_copy` instead.

    A developer iterating on tests can set NHS_WAREHOUSE_TEST_BUILT_HOME to a home already built
    from the samples to skip the build. CI sets it only for its parity session, to the home its
    `make test` session built here from scratch with the same checkout (.ci/run).
    """
    reuse = os.environ.get("NHS_WAREHOUSE_TEST_BUILT_HOME")
    if reuse:
        return Path(reuse).resolve()
    # Under pytest-xdist the base temp folder is per worker and its parent is the session's, shared
    # by all workers. Without xdist the base is the session's own: its parent holds every session
    # on the machine (other checkouts' too), whose homes were built by other code.
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    home = shared / "built" / "home"
    with open(shared / "built.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home.parent / "done").exists():
            shutil.rmtree(home.parent, ignore_errors=True)
            result = run_cli("build", home=home)
            assert result.returncode == 0, f"build failed\n{result.stdout}\n{result.stderr}"
            (home.parent / "done").write_text("")
    return home


@pytest.fixture
def built_home_copy(built_home, tmp_path) -> Path:
    """A home of this test's own, copied from the session's built home: real work without a build."""
    dest = tmp_path / "home"
    shutil.copytree(built_home, dest, symlinks=True)
    return dest


@pytest.fixture
def copy_of(tmp_path):
    """Copy a real file into the test's folder (to damage the copy, never the sample)."""

    def _copy(src: Path, name: str | None = None) -> Path:
        dest = tmp_path / "files" / (name or src.name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return dest

    return _copy
