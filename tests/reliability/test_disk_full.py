"""Disk full while landing: the intake and the download fail cleanly, and nothing corrupt is left.

The home is a 64 KB tmpfs, mounted in a private mount namespace (`unshare --mount`, as root, or
`unshare --user --map-root-user --mount` where unprivileged user namespaces are allowed), so the
kernel itself answers "No space left on device" and the mount vanishes with the process. The same
scenario also runs under RLIMIT_FSIZE in the subprocess (writes past the limit fail with "File too
large"): the same failure path for a single file, though not a real full disk, and the only one
where mounting is not allowed (the tmpfs case is then skipped, saying so).
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys

import pytest

from dagster_project.ingest.landing import sha256_of
from dagster_project.settings import PROJECT_ROOT
from tests.conftest import uec_sample
from tests.support.publisher import LoopbackServer, Publisher

TMPFS_SIZE = "64k"
FSIZE_LIMIT = 48 * 1024


def _scenario(home, small, large, url):
    return [sys.executable, "-m", "tests.reliability.disk_full_scenario", str(home), str(small), str(large), url]


def _in_tmpfs(home, command, size=TMPFS_SIZE):
    mount = f'mount -t tmpfs -o size={size} tmpfs "$0" && exec "$@"'
    for unshare in (["unshare", "--mount", "--propagation", "private"], ["unshare", "--user", "--map-root-user", "--mount"]):
        try:
            proc = subprocess.run(
                [*unshare, "sh", "-c", mount, str(home), *command], capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT
            )
        except FileNotFoundError:
            return None
        if proc.returncode == 0:
            return proc
    return None


def _with_fsize_limit(command):
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT, FSIZE_LIMIT))

    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT, preexec_fn=limit)


@pytest.fixture
def large_file(tmp_path):
    """A real month with its provider rows three times over: it parses (the gate would catch it), 88 KB."""
    lines = uec_sample("June-2023").read_bytes().splitlines(keepends=True)
    path = tmp_path / "June-2023-three-times.csv"
    path.write_bytes(lines[0] + b"".join(lines[1:-1]) * 3 + lines[-1])
    return path


@pytest.mark.parametrize("mechanism", ["tmpfs", "rlimit_fsize"])
def test_a_full_disk_fails_intake_and_download_cleanly(tmp_path, large_file, mechanism):
    home = tmp_path / "home"
    home.mkdir()
    publisher = Publisher()
    publisher.publish("/big.csv", large_file.read_bytes())
    with LoopbackServer(publisher) as server:
        command = _scenario(home, uec_sample("June-2023"), large_file, server.url("/big.csv"))
        if mechanism == "tmpfs":
            proc = _in_tmpfs(home, command)
            if proc is None:
                pytest.skip("cannot mount a tmpfs here (no unshare, no root, no user namespaces): see the rlimit case")
        else:
            proc = _with_fsize_limit(command)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    no_space = "No space left on device" if mechanism == "tmpfs" else "File too large"

    assert report["first"]["status"] == "landed"
    # The file that did not fit: a clean failure naming the cause, not a quarantine (the file is fine).
    assert report["second"]["status"] == "failed", report["second"]
    assert report["second"]["error"]["reason"] == "store_failed"
    assert no_space in report["second"]["message"]
    # Nothing partial anywhere: no temporary file, no stored file without its manifest.
    assert report["after_second"] == report["after_first"]
    assert [(name, intact) for name, _, intact in report["landed"]] == [(uec_sample("June-2023").name, True)]
    assert report["landed"][0][1] == sha256_of(uec_sample("June-2023"))
    # The download into the same full disk fails the same way and leaves no partial file.
    assert report["fetch"]["reason"] == "store_failed" and no_space in report["fetch"]["message"]
    assert report["after_fetch"] == report["after_first"]


def test_the_landing_sensor_keeps_a_dropped_file_it_could_not_store_and_alerts(tmp_path, large_file):
    # landing/ (with landing/incoming/ in it) is a 128 KB tmpfs: the 88 KB dropped file fits, its copy does not.
    home = tmp_path / "home"
    (home / "landing").mkdir(parents=True)
    proc = _in_tmpfs(
        home / "landing",
        [sys.executable, "-m", "tests.reliability.disk_full_scenario", "--sensor", str(home), str(large_file)],
        size="128k",
    )
    if proc is None:
        pytest.skip("cannot mount a tmpfs here (no unshare, no root, no user namespaces)")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [r["status"] for r in report["results"]] == ["failed"], report
    assert "No space left on device" in report["results"][0]["message"]
    assert report["incoming"] == [large_file.name], "the dropped file stays for the next tick"
    assert report["landing"] == [], "nothing partial in landing"
    assert [kind for kind, _ in report["alerts"]] == ["intake_failed"]
