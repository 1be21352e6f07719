"""Headless Chromium (Debian's `chromium`, installed by `make test`) for rendering pages in tests.

The flags keep Chromium off the network (this machine has none beyond package registries) and in a
profile folder of its own, so a run neither phones home nor reuses another run's state.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise AssertionError(
            "Chromium is needed for this test: `make test` installs Debian's chromium (.ci/ensure-chromium), "
            "or install it yourself (apt-get install chromium) or set CHROMIUM to a Chromium binary."
        )
    return found


def _run(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    profile.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, url], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def rendered_dom(url: str, profile: Path) -> str:
    """The page's DOM after Chromium has loaded and laid it out."""
    return _run(url, profile, "--dump-dom").stdout


def screenshot(url: str, profile: Path, out: Path, size: tuple[int, int] = (1100, 2400)) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    _run(url, profile, f"--window-size={size[0]},{size[1]}", f"--screenshot={out}")
    assert out.exists(), f"Chromium wrote no screenshot to {out}"
    return out
