"""Regenerate docs/asset-page.png: a mart's asset page in the Dagster UI, as a newcomer sees it.

    .venv/bin/python docs/screenshot.py [--home PATH] [--asset marts/mart_uec_region_month]

Starts `dagster-webserver` on loopback over a built home (default: ./warehouse, built by `make run`),
waits until it answers, and has headless Chromium (Debian's `chromium`, `make browser`) render the
asset's page with enough virtual time for the UI's queries to finish, then writes the PNG.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the webserver did not answer:\n" + log.read_text()[-3000:])
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("NHS_WAREHOUSE_HOME", ROOT / "warehouse")))
    parser.add_argument("--asset", default="marts/mart_uec_region_month")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "asset-page.png")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    if not (home / "dagster").exists():
        raise SystemExit(f"{home} has no Dagster instance: build it first (`make run`)")
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("Chromium is needed: `make browser` installs Debian's chromium")

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHS_WAREHOUSE_")}
    env |= {"NHS_WAREHOUSE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    with tempfile.TemporaryDirectory() as work:
        log = Path(work) / "webserver.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "dagster-webserver"),
                    "-w",
                    str(ROOT / "workspace.yaml"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                wait_for(base + "/server_info", proc, log)
                # The UI's first-visit "join the community" dialog: marked seen on this instance, as its
                # Skip button does, so the page is not hidden behind it.
                request = urllib.request.Request(
                    base + "/graphql",
                    data=json.dumps({"query": "mutation { setNuxSeen }"}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                urllib.request.urlopen(request, timeout=30).read()
                args.out.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(
                    [
                        chromium,
                        *FLAGS,
                        f"--user-data-dir={work}/profile",
                        "--window-size=1440,1000",
                        "--virtual-time-budget=30000",
                        f"--screenshot={args.out.resolve()}",
                        f"{base}/assets/{args.asset}",
                    ],
                    check=True,
                    capture_output=True,
                    timeout=300,
                )
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
