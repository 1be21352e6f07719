"""Publication sensors: one per source with somewhere to poll, landing new or revised files and loading them.

Each tick runs the source's pollers (`pollers.py`, `changes.py`) from the state kept in the sensor's
cursor: conditional GETs with the ETag/Last-Modified seen last, index-page links, or a change feed's
window. Every new or changed file is taken into the landing store (with its URL and validators in
the manifest); a revision of a month (new ETag, new bytes) lands as a new vintage, the same bytes
again do not land twice. Loading is the landing sensor's: it requests a run for everything landed
and not loaded, whoever landed it (one place decides what loads, so no two sensors request the
same load). The cursor only moves when the tick completes, so a tick that dies midway is repeated.
"""

from __future__ import annotations

import json

from dagster import DefaultSensorStatus, SensorDefinition, SensorEvaluationContext, SensorResult, SkipReason, sensor

from dagster_project.alerting.alerts import Notifier
from dagster_project.alerting import messages
from dagster_project.automation.pollers import pollers_for
from dagster_project.automation.polling import Http
from dagster_project.ingest.intake import intake
from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.spec import SourceSpec
from dagster_project.settings import Settings
from dagster_project.sources import SOURCES


def sensor_name(source_key: str) -> str:
    return f"publication_{source_key}"


def build_publication_sensor(spec: SourceSpec, settings: Settings) -> SensorDefinition | None:
    if not pollers_for(spec, settings):
        return None

    @sensor(
        name=sensor_name(spec.key),
        minimum_interval_seconds=settings.publication_interval_s,
        default_status=DefaultSensorStatus.RUNNING if settings.poll_publishers else DefaultSensorStatus.STOPPED,
        description=f"Polls {spec.publisher} for new or revised files of {spec.title} and lands them (the landing_folder sensor loads them).",
    )
    def publication(context: SensorEvaluationContext):
        settings.ensure_dirs()
        state = json.loads(context.cursor) if context.cursor else {}
        store = LandingStore(settings.landing_dir, settings.quarantine_dir)
        notifier = Notifier(settings)
        fetch_dir = settings.landing_dir / ".fetch"
        landed, notes = [], []
        for poller in pollers_for(spec, settings):
            result = poller.poll(state.get(poller.name, {}), fetch_dir, Http.from_settings(settings))
            notes.extend(result.notes)
            for failure in result.failures:
                notifier.fire(messages.fetch_failure(settings, spec.key, failure))
            for fetched in result.files:
                try:
                    taken = intake(
                        fetched.path,
                        store,
                        SOURCES.values(),
                        spec=spec,
                        original_name=fetched.file_name,
                        url=fetched.url,
                        etag=fetched.etag,
                        last_modified=fetched.last_modified,
                        max_bytes=settings.max_file_bytes,
                    )
                finally:
                    fetched.path.unlink(missing_ok=True)
                context.log.info(f"{fetched.url}: {taken.status} {taken.message}")
                if taken.status == "rejected":
                    notifier.fire(messages.rejected_file(settings, taken, fetched.url))
                    continue
                if taken.status == "failed":
                    # Not stored (e.g. a full disk): forget its validators so the next tick fetches it again.
                    notifier.fire(messages.intake_failure(settings, taken, fetched.url))
                    result.state.get("files", {}).pop(fetched.url, None)
                    continue
                if taken.status == "landed":
                    landed.append(f"{fetched.file_name} ({', '.join(taken.periods)})")
            state[poller.name] = result.state
        for note in notes:
            context.log.info(note)
        cursor = json.dumps(state, sort_keys=True)
        if not landed:
            return SensorResult(skip_reason=SkipReason("; ".join(notes) or "nothing new published"), cursor=cursor)
        # The landing sensor requests their load at its next tick (seconds).
        return SensorResult(skip_reason=SkipReason(f"landed {len(landed)} new files: " + "; ".join(landed)), cursor=cursor)

    return publication
