"""Documentation people can browse: dbt docs (every model and column with its description, tests and
lineage) and GX Data Docs (every validation of every load), built into `$NHS_WAREHOUSE_HOME/docs/`
and served on localhost by `nhs-warehouse docs`.

    docs/index.html            a landing page linking the two sites
    docs/dbt/index.html        dbt's site (reads manifest.json and catalog.json beside it over HTTP)
    docs/dbt/static_index.html the same with both inlined: opens from disk with no server
    docs/gx/index.html         GX Data Docs for the stored validation results

dbt reads the catalog (column types) from the warehouse file, which a running load holds locked, so
generation waits for the lock like every other writer does. The site is built in a fresh folder and
swapped in whole, so a server already running never serves a half-built site.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dagster_project.settings import DBT_PROJECT_DIR, Settings

DBT_FILES = ("index.html", "static_index.html", "manifest.json", "catalog.json")
LOCK_MESSAGE = "could not set lock"


class DocsError(RuntimeError):
    pass


@dataclass(frozen=True)
class DocsSite:
    root: Path
    dbt_index: Path
    gx_index: Path
    models: int
    validations: int


def build_docs(settings: Settings) -> DocsSite:
    if not settings.warehouse_db.exists():
        raise DocsError(f"No warehouse at {settings.warehouse_db}: run `nhs-warehouse build` first.")
    settings.home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".docs-build-", dir=settings.home))
    site = staging / "site"
    try:
        manifest = _build_dbt_docs(settings, site / "dbt", staging / "dbt-target")
        validations = _build_gx_docs(settings, site / "gx")
        models = sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "model")
        (site / "index.html").write_text(_landing_page(manifest, models, validations))
        # Two renames on one filesystem: the old site moves aside and the new one takes its name.
        if settings.docs_dir.exists():
            os.replace(settings.docs_dir, staging / "previous")
        os.replace(site, settings.docs_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    root = settings.docs_dir
    return DocsSite(root, root / "dbt" / "index.html", root / "gx" / "index.html", models, validations)


def _dbt_command(target_path: Path) -> list[str]:
    from dagster_project.assets.dbt_project import dbt_executable

    return [
        dbt_executable(),
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
    ]


def _build_dbt_docs(settings: Settings, out: Path, target_path: Path) -> dict:
    import json

    env = {**os.environ, "NHS_WAREHOUSE_DB": str(settings.warehouse_db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # Our own target path: generating docs must not rewrite the manifest Dagster loads from dbt/target.
    deadline = time.monotonic() + settings.lock_timeout_s
    delay = 1.0
    while True:
        result = subprocess.run(_dbt_command(target_path), capture_output=True, text=True, env=env)
        if result.returncode == 0:
            break
        if LOCK_MESSAGE not in (result.stdout + result.stderr).casefold() or time.monotonic() >= deadline:
            raise DocsError(f"dbt docs generate failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
        # A load holds the warehouse file: wait for it like any other writer.
        print(f"warehouse file locked by another process; retrying dbt docs generate in {delay:.0f} s", flush=True)
        time.sleep(delay)
        delay = min(delay * 2, 10.0)
    out.mkdir(parents=True)
    for name in DBT_FILES:
        shutil.copy2(target_path / name, out / name)
    return json.loads((out / "manifest.json").read_text())


def _build_gx_docs(settings: Settings, out: Path) -> int:
    from dagster_project.validation.gate import Gate

    gate = Gate(settings.validation_dir)
    site = gate.build_docs().parent
    shutil.copytree(site, out)
    return sum(1 for _ in (out / "validations").rglob("*.html")) if (out / "validations").exists() else 0


def _landing_page(manifest: dict, models: int, validations: int) -> str:
    marts = sorted(
        (node["name"], node.get("description", "").split("\n")[0])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("config", {}).get("meta", {}).get("publish")
    )
    rows = "\n".join(
        f'<tr><td><a href="dbt/index.html#!/model/model.nhs_warehouse.{html.escape(name)}">{html.escape(name)}</a></td>'
        f"<td>{html.escape(description)}</td></tr>"
        for name, description in marts
    )
    built = dt.datetime.now().strftime("%d %B %Y %H:%M")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nhs-warehouse documentation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#212b32}}
td,th{{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #d8dde0;vertical-align:top}}a{{color:#005eb8}}</style>
</head><body>
<h1>nhs-warehouse documentation</h1>
<p>Built {built}.</p>
<ul>
<li><a href="dbt/index.html">dbt docs</a>: {models} models, each column described, with tests and lineage
(<a href="dbt/static_index.html">single-file version</a> that opens without a server)</li>
<li><a href="gx/index.html">Great Expectations Data Docs</a>: {validations} stored validation results, one per
loaded file and partition</li>
</ul>
<h2>Published marts (what BI tools see in serving/marts.duckdb)</h2>
<table><tr><th>mart</th><th>what it holds</th></tr>
{rows}
</table>
</body></html>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one line per file fetched would bury the URL the command printed


def docs_server(directory: Path, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """An HTTP server for the built site (call `serve_forever()`); port 0 picks a free port."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return ThreadingHTTPServer((host, port), handler)
