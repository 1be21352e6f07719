"""What each alert says: one builder per kind of failure, so messages read alike wherever they fire.

Each alert names what failed, the source, partition and file, the failing expectation or test with
observed vs expected values, what was kept, and links to the Dagster run and the Data Docs. Its
`key` is the incident it belongs to (the same failure on the same file), for de-duplication.
"""

from __future__ import annotations

import datetime as dt

from pathlib import Path

from dagster_project.alerting.alerts import Alert
from dagster_project.ingest.intake import IntakeResult
from dagster_project.settings import Settings

KEPT_MARTS = "the published marts are unchanged (the last good data is still published)"


def run_link(settings: Settings, run_id: str | None) -> dict[str, str]:
    return {"Dagster run": f"{settings.dagster_url}/runs/{run_id}"} if run_id else {}


def gx_key(source: str, partition: str | None, sha: str | None = None) -> str:
    return f"gx_check_failed:{source}:{partition or '-'}:" + (sha or "")


def gate_failure(settings: Settings, source: str, failure: dict, run_id: str | None, docs: str | None) -> Alert:
    """One partition's file rejected by the Great Expectations gate (or unreadable at load)."""
    sha = failure.get("file_sha256")
    partition = failure.get("partition")
    expectations = tuple(failure.get("failed_expectations") or ())
    if not expectations and failure.get("message"):
        where = ", ".join(f"{k} {failure[k]}" for k in ("row", "column") if failure.get(k))
        expectations = (f"{failure.get('reason') or 'invalid'}{' at ' + where if where else ''}: {failure['message']}",)
    links = run_link(settings, run_id)
    if docs:
        links["Data Docs"] = docs if "://" in docs else Path(docs).as_uri()
    return Alert(
        kind="gx_check_failed",
        key=gx_key(source, partition, sha),
        title=f"{source} {partition or ''}: file failed the Great Expectations gate".replace("  ", " "),
        what_failed=f"the Great Expectations suite expectations/{source}.json rejected {failure.get('file')} for {partition}",
        source=source,
        partition=partition,
        file=failure.get("file"),
        file_sha256=sha,
        details=expectations,
        kept=(
            f"the file is in quarantine ({settings.quarantine_dir / source}/{sha}.reason.json); raw.{source} keeps "
            f"the previous vintage of {partition} (if any); {KEPT_MARTS}"
        ),
        run_id=run_id,
        links=links,
    )


def check_failure(
    settings: Settings, asset: str, check: str, metadata: dict, run_id: str | None, description: str | None
) -> Alert:
    """A failed asset check other than the gate: a dbt test (dagster-dbt's metadata), or any other check."""
    is_dbt = any(str(k).startswith("dagster_dbt/") for k in metadata) or "status" in metadata
    failures = metadata.get("dagster_dbt/failed_row_count", metadata.get("failures"))
    if is_dbt:
        detail = f"{check} on {asset}: observed {failures if failures is not None else '?'} failing rows; expected 0"
    else:
        detail = f"{check} on {asset}: {description or 'failed'}" + (f" (observed {failures})" if failures is not None else "")
    what = "dbt test" if is_dbt else "asset check"
    return Alert(
        kind="dbt_test_failed" if is_dbt else "check_failed",
        key=f"check_failed:{asset}:{check}",
        title=f"{what} failed: {check} on {asset}",
        what_failed=f"the {what} {check} failed on {asset}" + (f": {description}" if description else ""),
        details=(detail,),
        kept=f"what depends on a failing blocking check was not rebuilt, and the serving snapshot keeps its last good version; {KEPT_MARTS}",
        run_id=run_id,
        links=run_link(settings, run_id),
    )


def run_failure(
    settings: Settings, job: str, scope: str, error: str, run_id: str, source: str | None, partition: str | None
) -> Alert:
    return Alert(
        kind="run_failed",
        key=f"run_failed:{job}:{scope}",
        title=f"run failed: {job}" + (f" ({scope})" if scope else ""),
        what_failed=f"the Dagster run of {job} failed: {error}",
        source=source,
        partition=partition,
        details=(error,),
        kept=f"nothing from the failed step was swapped in (loads are one transaction per partition); {KEPT_MARTS}",
        run_id=run_id,
        links=run_link(settings, run_id),
    )


def rejected_file(settings: Settings, result: IntakeResult, where: str) -> Alert:
    error = result.error or {}
    source = result.source or "unrecognised"
    name = Path(error.get("file") or result.path.name).name
    details = tuple(
        f"{k}: {v}" for k, v in (("reason", error.get("reason")), ("row", error.get("row")), ("column", error.get("column"))) if v
    )
    return Alert(
        kind="file_quarantined",
        key=f"file_quarantined:{source}:{name}:{error.get('reason', 'invalid')}",
        title=f"file quarantined: {name} ({source})",
        what_failed=f"a file from {where} could not be read: {result.message}",
        source=source,
        file=name,
        details=details,
        kept=f"the file is in {settings.quarantine_dir / source}/ with a .reason.json; nothing was loaded; {KEPT_MARTS}",
        # An unreadable file is a one-off event: announced once, not reminded about.
        remind=False,
    )


def fetch_failure(settings: Settings, source: str, failure: dict) -> Alert:
    """A publisher's file could not be fetched after the retries (FetchError.as_record())."""
    attempts = tuple(f"attempt {i}: {a}" for i, a in enumerate(failure.get("attempts") or [], start=1))
    return Alert(
        kind="fetch_failed",
        key=f"fetch_failed:{source}:{failure['url']}",
        title=f"{source}: could not fetch {failure['url']} ({failure.get('reason')})",
        what_failed=f"fetching {failure['url']} failed: {failure.get('message')}",
        source=source,
        file=failure["url"],
        details=attempts or (f"reason: {failure.get('reason')}",),
        kept=f"nothing was landed; the sensor tries again on its next tick; {KEPT_MARTS}",
    )


def intake_failure(settings: Settings, result: IntakeResult, where: str) -> Alert:
    """A good file the landing store could not take (a full disk, no permission): not quarantined."""
    error = result.error or {}
    name = Path(error.get("file") or result.path.name).name
    return Alert(
        kind="intake_failed",
        key=f"intake_failed:{result.source or 'unrecognised'}:{error.get('reason', 'store_failed')}",
        title=f"could not land {name}: {error.get('message', 'intake failed')}",
        what_failed=f"a file from {where} could not be stored in the landing store: {result.message}",
        source=result.source,
        file=name,
        details=(f"reason: {error.get('reason')}",),
        kept=f"nothing partial was left in landing; the file was not quarantined (it is not at fault); {KEPT_MARTS}",
    )


def asset_overdue(settings: Settings, spec, last_loaded_ts: float | None) -> Alert:
    cadence = spec.release_cadence
    warn, fail = cadence.overdue_after
    last = (
        dt.datetime.fromtimestamp(last_loaded_ts, dt.timezone.utc).isoformat(timespec="seconds")
        if last_loaded_ts is not None
        else "never"
    )
    return Alert(
        kind="asset_overdue",
        key=f"asset_overdue:{spec.key}",
        title=f"raw/{spec.key} is overdue: last loaded {last}",
        what_failed=(
            f"{spec.key} is released {cadence.every}; Dagster's freshness policy fails it when nothing has "
            f"loaded for {fail.days} days (warns after {warn.days}), and its last load was {last}"
        ),
        source=spec.key,
        partition=None,
        details=(f"last materialisation: {last}; fail window {fail.days} days",),
        kept=f"the marts keep the periods loaded so far; {KEPT_MARTS}",
        severity="warning",
    )


def source_stale(settings: Settings, spec, metadata: dict, description: str | None, run_id: str | None) -> Alert:
    """dbt source freshness found a raw table's newest load older than its cadence allows: the same
    incident as Dagster's freshness verdict (asset_overdue), so it shares that alert's key."""
    cadence = spec.release_cadence
    loaded = metadata.get("max_loaded_at") or "never"
    return Alert(
        kind="asset_overdue",
        key=f"asset_overdue:{spec.key}",
        title=f"raw/{spec.key} is overdue: last loaded {loaded}",
        what_failed=(
            f"{spec.key} is released {cadence.every}; dbt source freshness errors when raw.{spec.key}'s newest "
            f"_loaded_at is over {metadata.get('error_after_days', '?')} days old (warns after "
            f"{metadata.get('warn_after_days', '?')}): {description or 'stale'}"
        ),
        source=spec.key,
        partition=None,
        details=(f"dbt source freshness status: {metadata.get('status', '?')}; newest _loaded_at: {loaded}",),
        kept=f"the marts keep the periods loaded so far; {KEPT_MARTS}",
        severity="warning",
        run_id=run_id,
        links=run_link(settings, run_id),
    )


def late_source(settings: Settings, source: str, newest: str | None, expected: str, cadence: str) -> Alert:
    return Alert(
        kind="source_late",
        key=f"source_late:{source}",
        title=f"{source} is late: newest period {newest or 'none'}, expected {expected}",
        what_failed=(
            f"{source} is published {cadence}; by now its {expected} release should be out, but the newest "
            f"period landed is {newest or 'none'}"
        ),
        source=source,
        partition=expected,
        details=(f"newest period landed: observed {newest or 'none'}; expected {expected} or later",),
        kept=f"the marts keep the periods loaded so far; {KEPT_MARTS}",
        severity="warning",
    )
