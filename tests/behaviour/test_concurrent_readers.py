"""BI readers in their own processes query the serving DB while `nhs-warehouse build` loads new
months and republishes: no lock errors, no failed queries, and every answer is one whole
publication (the one it names), never a mix.

Two kinds of reader run side by side: `hold` readers open `serving/marts.duckdb` once and keep that
connection across every publish (a dashboard with a pooled connection); `reconnect` readers open
and close the file for every query. The publish grace period is one second, so a later publish
finds the first version past its grace while the `hold` readers still have it open: it must keep
that version (their views read its Parquet) and remove it only once they have closed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import PROJECT_ROOT
from tests.conftest import run_cli, uec_sample
from tests.support.serving_reader import fingerprint

pytestmark = pytest.mark.slow

FIRST_MONTHS = ["May-2023", "June-2023"]  # June 2023 is figure 20: its dbt tests need it
LATER_MONTHS = ["July-2023", "August-2023"]
GRACE = {"NHS_WAREHOUSE_PUBLISH_GRACE": "1"}
MODES = ["hold", "hold", "reconnect", "reconnect"]


def _published(serving_db: Path) -> dict:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        return fingerprint(con)
    finally:
        con.close()


def _data(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "version"}


class Readers:
    def __init__(self, db: Path, folder: Path, modes: list[str]):
        self.stop = folder / "stop"
        self.outs = [folder / f"reader-{i}-{mode}.jsonl" for i, mode in enumerate(modes)]
        self.modes = modes
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.support.serving_reader", str(db), str(out), str(self.stop), "--mode", mode],
                cwd=PROJECT_ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
            for out, mode in zip(self.outs, modes, strict=True)
        ]

    def lines(self, i: int) -> list[dict]:
        if not self.outs[i].exists():
            return []
        return [json.loads(line) for line in self.outs[i].read_text().splitlines() if line.endswith("}")]

    def wait_until(self, predicate, what: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not all(predicate(i) for i in range(len(self.procs))):
            dead = [p.args for p in self.procs if p.poll() is not None]
            assert not dead, f"a reader exited early: {dead}"
            assert time.monotonic() < deadline, f"readers did not {what} within {timeout_s} s"
            time.sleep(0.1)

    def seen(self, i: int, version: str) -> bool:
        return any(line.get("answer", {}).get("version") == version for line in self.lines(i))

    def finish(self) -> list[list[dict]]:
        self.stop.touch()
        for proc in self.procs:
            _, stderr = proc.communicate(timeout=60)
            assert proc.returncode == 0, stderr
        return [self.lines(i) for i in range(len(self.procs))]

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_readers_see_whole_publications_while_the_warehouse_loads_and_republishes(home, tmp_path, capsys):
    serving_db = home.serving_db
    versions_dir = home.serving_dir / "versions"

    run_cli("ingest", *[str(uec_sample(m)) for m in FIRST_MONTHS], home=home.home, check=True)
    run_cli("build", "--no-samples", home=home.home, check=True, env=GRACE)
    old = _published(serving_db)

    readers = Readers(serving_db, tmp_path, MODES)
    try:
        readers.wait_until(lambda i: readers.seen(i, old["version"]), "answer from the first publication")

        # New months arrive: load them through the gate, rebuild the marts and republish, while
        # every reader keeps querying.
        run_cli("ingest", *[str(uec_sample(m)) for m in LATER_MONTHS], home=home.home, check=True)
        run_cli("build", "--no-samples", home=home.home, check=True, env=GRACE)
        new = _published(serving_db)
        assert new["last_month"] == "2023-08-01" and old["last_month"] == "2023-06-01"
        assert _data(new) != _data(old)
        reconnecting = [i for i, mode in enumerate(MODES) if mode == "reconnect"]
        readers.wait_until(lambda i: i not in reconnecting or readers.seen(i, new["version"]), "see the new publication")

        # Past the grace period, a third publish (same data, new version) would remove the first
        # version, but the `hold` readers still have it open: it must stay.
        time.sleep(1.5)
        republished = run_cli("publish", home=home.home, check=True, env=GRACE)
        again = _published(serving_db)
        assert _data(again) == _data(new)
        assert (versions_dir / old["version"]).is_dir(), "a version still open by readers was removed"
        assert "still open" in republished.stdout
        readers.wait_until(lambda i: i not in reconnecting or readers.seen(i, again["version"]), "see the republication")
        answers = readers.finish()
    finally:
        readers.kill()

    # Once the readers have closed, the next publish removes the versions past their grace.
    time.sleep(1.5)
    run_cli("publish", home=home.home, check=True, env=GRACE)
    assert not (versions_dir / old["version"]).exists()
    assert not (versions_dir / new["version"]).exists()

    expected = {old["version"]: _data(old), new["version"]: _data(new), again["version"]: _data(again)}
    errors, queries, states_seen = [], 0, {}
    for i, lines in enumerate(answers):
        for line in lines:
            if "error" in line:
                errors.append((MODES[i], line["error"]))
            elif "answer" in line:
                queries += 1
                answer = line["answer"]
                version = answer["version"]
                states_seen.setdefault(version, 0)
                states_seen[version] += 1
                assert version in expected, f"reader {i} saw an unknown publication {answer}"
                assert _data(answer) == expected[version], f"reader {i} saw a mix: {answer} vs {expected[version]}"
                assert answer["provider_months"] == answer["calendar_months"]
                assert answer["england_12h_waits"] == answer["provider_12h_waits"]
    holders = [lines for lines, mode in zip(answers, MODES, strict=True) if mode == "hold"]
    held_versions = {line["answer"]["version"] for lines in holders for line in lines if "answer" in line}

    with capsys.disabled():
        print(
            f"\n[concurrent readers] {len(MODES)} reader processes ({MODES.count('hold')} holding one connection, "
            f"{MODES.count('reconnect')} reconnecting), {queries} queries, {len(errors)} errors; answers per "
            f"publication: "
            + ", ".join(f"{v} ({expected[v]['last_month'][:7]} last month) = {n}" for v, n in sorted(states_seen.items()))
        )
    assert errors == []
    assert set(states_seen) == set(expected), "every publication was seen by some reader"
    assert held_versions == {old["version"]}, "a held connection keeps answering from the publication it opened"
    assert all(sum("answer" in line for line in lines) >= 10 for lines in answers)
