"""Every file in the bad-input corpus (tests/corpus/) meets its expected outcome, and a rejected file
changes nothing already loaded.

Each case runs against its own copy of a warehouse that holds the real May and June 2023 A&E files,
through intake (detect by content, parse, land or quarantine) and, for files that land, the
partition loader with the real Great Expectations gate: the code the Dagster raw asset runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile

import duckdb
import pytest

from dagster_project.ingest.intake import intake
from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.partitions import PartitionLoader
from dagster_project.sources import SOURCES
from dagster_project.sources.uec import UEC_AE_MONTHLY
from dagster_project.validation.gate import Gate
from dagster_project.warehouse import open_warehouse
from tests.conftest import uec_sample
from tests.corpus import make
from tests.corpus.cases import CASES, TWO_GB, GateRejects, Loaded, Rejected, by_file, sparse_two_gigabytes

DATA_COLUMNS = [c.name for c in UEC_AE_MONTHLY.columns]


class Home:
    """A warehouse home on disk, loaded through the same machinery as the Dagster raw asset."""

    def __init__(self, root, gate: Gate, pending_dir) -> None:
        self.root = root
        self.store = LandingStore(root / "landing", root / "quarantine")
        self.db = root / "warehouse.duckdb"
        self.loader = PartitionLoader(UEC_AE_MONTHLY, self.store, gate, pending_dir)

    def intake(self, path, **kwargs):
        return intake(path, self.store, SOURCES.values(), **kwargs)

    def load(self, period):
        with open_warehouse(self.db) as con:
            return self.loader.load(con, period)

    def query(self, sql, params=()):
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    def state(self) -> dict:
        """Everything a rejected file must leave as it was."""
        landing = self.root / "landing"
        return {
            "raw": self.query("select * exclude (_loaded_at) from raw.uec_ae_monthly order by _period, org_code"),
            "totals": self.query("select * exclude (_loaded_at) from raw.uec_ae_monthly__totals order by _period"),
            "history": self.query("select count(*) from raw_history.uec_ae_monthly"),
            "vintages": self.query("select * from meta.partition_loads order by period, loaded_at"),
            "landing": sorted((str(p.relative_to(landing)), p.read_bytes()) for p in landing.rglob("*") if p.is_file()),
        }

    def quarantine_record(self, file_name: str) -> dict:
        for path in (self.root / "quarantine").glob("*/*.reason.json"):
            record = json.loads(path.read_text())
            # A capture folder lands as one bundle per source, named folder/bundle.
            if record["original_name"] in (file_name, *(f"{file_name}/{n}" for n in [record["original_name"].split("/")[-1]])):
                return record
        raise AssertionError(f"{file_name} has no reason in quarantine")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One GX context and pending folder for all cases (each costs seconds to make)."""
    root = tmp_path_factory.mktemp("corpus")
    return Gate(root / "validation"), root / "pending"


@pytest.fixture(scope="module")
def base(tmp_path_factory, shared):
    """A home with the real May and June 2023 files landed and loaded."""
    home = Home(tmp_path_factory.mktemp("corpus-base") / "home", *shared)
    for month, period in (("May-2023", "2023-05-01"), ("June-2023", "2023-06-01")):
        assert home.intake(uec_sample(month)).status == "landed"
        assert home.load(period).status == "loaded"
    return home


@pytest.fixture
def home(base, shared, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(base.root, copy)
    return Home(copy, *shared)


def _real_rows(path, period):
    frame = UEC_AE_MONTHLY.parse(path).for_period(period)[""]
    return sorted(tuple(None if v is None or v != v else v for v in row) for row in frame[DATA_COLUMNS].itertuples(index=False))


def _loaded_rows(home, period):
    rows = home.query(f"select {', '.join(DATA_COLUMNS)} from raw.uec_ae_monthly where _period = ?", [period])
    return sorted(rows)


def _failing(outcome) -> list[str]:
    return [" | ".join([f.expectation, f.expected, f.promise]) for f in outcome.gate.failures]


@pytest.mark.parametrize("case", [c for c in CASES if c.outcome != by_file("two-gigabytes.csv").outcome], ids=lambda c: c.file)
def test_corpus_file(home, case, tmp_path):
    path = case.path if case.recipe else case.generate(tmp_path / case.path.name)
    before = home.state()
    result = home.intake(path)
    expected = case.outcome

    if isinstance(expected, Rejected):
        assert result.status == "rejected", result.message
        assert result.error["reason"] == expected.reason, result.message
        # The message names the file (a capture folder's error names its bundle and the document).
        assert path.name in (result.message if path.is_file() else result.error["file"])
        for words in expected.names:
            assert words in result.message, result.message
        record = home.quarantine_record(path.name)
        assert record["error"]["reason"] == expected.reason
        stored = home.root / "quarantine" / record["source"] / record["stored_name"]
        if path.is_dir():  # the bundle made from the folder, kept whole
            with zipfile.ZipFile(stored) as bundle:
                assert {n for n in bundle.namelist() if n != "_capture.json"} == set(case.on_disk())
        else:
            assert stored.read_bytes() == path.read_bytes()
        assert home.state() == before, "a file rejected at intake changed what was loaded"
        return

    assert result.status == "landed", result.message
    (period,) = result.periods
    assert period == expected.period
    outcome = home.load(period)

    if isinstance(expected, GateRejects):
        assert outcome.status == "quarantined", outcome.message
        failing = _failing(outcome)
        for name in expected.failing:
            assert any(name in f for f in failing), f"{name!r} not among the failures: {failing}"
        record = home.quarantine_record(path.name)
        assert record["error"]["reason"] == "validation_failed"
        assert (home.root / "quarantine" / "uec_ae_monthly" / record["stored_name"]).read_bytes() == path.read_bytes()
        assert home.state() == before, "a file the gate rejected changed what was loaded"
        assert home.query("select reason, file_name from meta.load_failures") == [("validation_failed", path.name)]
        # The previous vintage stays current, so nothing is pending and a retry changes nothing.
        assert home.load(period).status in ("unchanged", "no_file")
        return

    assert isinstance(expected, Loaded)
    assert outcome.status == "loaded", outcome.message
    if expected.warning:
        assert any(expected.warning in w for w in outcome.warnings), outcome.warnings
    else:
        assert outcome.warnings == []
    if expected.same_rows_as:
        assert _loaded_rows(home, period) == _real_rows(expected.same_rows_as, period)
    assert home.query("select file_name from meta.partition_loads where period = ? and is_current", [period]) == [(path.name,)]


def test_a_cp1252_file_keeps_its_pound_sign(home):
    case = by_file("windows-1252-pound.csv")
    assert home.intake(case.path).status == "landed"
    assert home.load("2023-06-01").status == "loaded"
    assert len(home.query("select org_name from raw.uec_ae_monthly where org_name like '%£'")) == 1


def test_corpus_files_are_what_their_recipes_make():
    for case in CASES:
        if case.recipe:
            assert case.on_disk() == case.make(), f"{case.file} differs from its recipe: run python -m tests.corpus.make"


def test_the_corpus_readme_lists_every_case():
    readme = (make.CORPUS_DIR / "README.md").read_text()
    assert make.table() in readme, "tests/corpus/README.md is stale: run python -m tests.corpus.make"


# ---------------------------------------------------------------------------------------------
# The 2 GB file: never read into memory

PEAK_MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from dagster_project.ingest.errors import IngestError
    from dagster_project.ingest.intake import intake
    from dagster_project.ingest.landing import LandingStore
    from dagster_project.sources import SOURCES
    from dagster_project.sources.uec import UEC_AE_MONTHLY

    path, home, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    if mode == "intake":
        result = intake(path, LandingStore(home / "landing", home / "quarantine"), SOURCES.values())
        out = {"status": result.status, "reason": (result.error or {}).get("reason"), "message": result.message}
    else:  # the parser alone, with no size limit in front of it
        try:
            UEC_AE_MONTHLY.parse(path)
            out = {"status": "parsed"}
        except IngestError as exc:
            out = {"status": "error", "reason": exc.reason, "message": str(exc), "row": exc.row}
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child spawned by
    # a large parent (pytest after hundreds of tests: 668 MB) reports the parent's peak as its own.
    hwm_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    out["peak_rss_mb"] = hwm_kb / 1024
    print(json.dumps(out))
    """
)
# The interpreter with pandas and DuckDB imported takes ~150 MB; reading the file would take 2,048+.
PEAK_MEMORY_LIMIT_MB = 512


def _in_subprocess(path, home, mode) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_SCRIPT, str(path), str(home), mode], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def two_gigabytes(tmp_path):
    path = sparse_two_gigabytes(tmp_path / "two-gigabytes.csv")
    assert path.stat().st_size == TWO_GB
    assert path.stat().st_blocks * 512 < 1024**2, "the test file should be sparse"
    return path


def test_a_two_gigabyte_file_is_refused_at_intake_without_being_read(two_gigabytes, tmp_path):
    home = tmp_path / "home"
    out = _in_subprocess(two_gigabytes, home, "intake")
    case = by_file("two-gigabytes.csv")
    assert (out["status"], out["reason"]) == ("rejected", case.outcome.reason), out
    for words in case.outcome.names:
        assert words in out["message"]
    assert out["peak_rss_mb"] < PEAK_MEMORY_LIMIT_MB, out
    reasons = list((home / "quarantine").glob("*/*.reason.json"))
    assert len(reasons) == 1 and json.loads(reasons[0].read_text())["error"]["reason"] == "too_large"
    # Only the reason is kept: copying the file would write 2 GB of real disk blocks.
    assert not [p for p in (home / "quarantine").rglob("*") if p.is_file() and not p.name.endswith(".reason.json")]
    assert not list((home / "landing").rglob("*.csv"))


def test_the_parser_streams_a_two_gigabyte_file_and_rejects_it_at_the_first_bad_row(two_gigabytes, tmp_path):
    out = _in_subprocess(two_gigabytes, tmp_path, "parse")
    assert (out["status"], out["reason"], out["row"]) == ("error", "not_csv", 101), out
    assert "NUL" in out["message"]
    assert out["peak_rss_mb"] < PEAK_MEMORY_LIMIT_MB, out


def test_a_file_missing_a_column_is_still_recognised_as_its_publication(home):
    # Recognised by most of its header, so the message names the missing column, not "unknown file".
    path = by_file("header-renamed.csv").path
    assert 0.5 < UEC_AE_MONTHLY.match_score(path) < 1
    assert home.intake(path).source == "uec_ae_monthly"
