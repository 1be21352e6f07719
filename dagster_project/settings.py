"""Every setting of the warehouse, read from environment variables with defaults.

The embedded default needs no setting at all: `nhs-warehouse build` loads the bundled samples in
`data/samples/` into `./warehouse`. Paths derive from `NHS_WAREHOUSE_HOME`, so one variable moves
the whole warehouse (landing store, quarantine, DuckDB file, serving snapshot, Dagster instance).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
# Reference lists (dbt seeds) that expectation suites may read, e.g. the councils that exist.
REFERENCE_DIR = DBT_PROJECT_DIR / "seeds" / "reference"

# DuckDB 2.x writes a storage format DuckDB 1.4 cannot open; BI drivers still bundle 1.4 (docs/stack.md).
STORAGE_COMPATIBILITY_VERSION = "v1.4.0"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a number") from exc


def _env_list(name: str) -> tuple[str, ...]:
    # Apprise URLs may contain commas inside query strings; whitespace or newlines separate them.
    return tuple(part for part in os.environ.get(name, "").split() if part)


@dataclass(frozen=True)
class Settings:
    home: Path
    alert_urls: tuple[str, ...] = ()
    http_timeout_s: float = 30.0
    http_retries: int = 4
    http_backoff_s: float = 1.0
    http_max_bytes: int = 200 * 1024 * 1024
    # The largest file intake will read; a larger one is refused before it is read.
    max_file_bytes: int = 1024**3
    lock_timeout_s: float = 120.0
    publish_grace_s: float = 3600.0
    source_urls: dict[str, str] = field(default_factory=dict)
    # CQC API: the subscription key (sent as Ocp-Apim-Subscription-Key) and which locations a
    # capture covers (a local authority, a region, or both; neither means all of England).
    cqc_api_key: str | None = None
    cqc_local_authority: str | None = None
    cqc_region: str | None = None
    # Event-driven operation (dagster_project/automation/). Intervals are seconds between sensor ticks.
    landing_interval_s: int = 5
    # A dropped file is taken once its size and mtime have held still this long (judged within one
    # tick when short, across ticks when longer): drop slow copies under a temporary name.
    landing_settle_s: float = 2.0
    publication_interval_s: int = 3600
    # Whether the publication sensors start polling publishers when the daemon starts.
    poll_publishers: bool = True
    automation_interval_s: int = 30
    alert_interval_s: int = 30
    # An unresolved failure is announced once, then reminded about after this long (0: never remind).
    alert_reminder_s: float = 24 * 3600.0
    # Nightly freshness reconciliation (cron, in the publisher's time zone).
    freshness_cron: str = "0 2 * * *"
    timezone: str = "Europe/London"
    # Where alerts link to a run: the Dagster UI (`make dev`) as people reach it.
    dagster_url: str = "http://127.0.0.1:3000"
    # How a run executes its steps (executors.py): in_process, multiprocess, k8s or celery.
    executor: str = "in_process"
    # dbt target folders of the latest builds kept under dbt_runs_dir (each build writes one).
    dbt_runs_kept: int = 20
    # DuckDB's buffer pool and worker threads for the warehouse writer (loads, dbt, publish). Its
    # default is 80% of RAM and every core; a BI reader and the Dagster daemon share the machine.
    duckdb_memory_limit: str = "2GB"
    duckdb_threads: int = 2

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def incoming_dir(self) -> Path:
        return self.landing_dir / "incoming"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def warehouse_db(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def parquet_dir(self) -> Path:
        """The raw layer mirrored to Parquet by source and period (ingest/parquet_mirror.py)."""
        return self.home / "parquet"

    @property
    def spark_dir(self) -> Path:
        """The Spark target's tables and Hive metastore (spark_build.py, dbt profile `spark`)."""
        return self.home / "spark"

    @property
    def dbt_runs_dir(self) -> Path:
        """One dbt target folder per build (artifacts, compiled SQL, logs); the newest are kept."""
        return self.home / "dbt" / "runs"

    @property
    def dbt_compiled_sql(self) -> Path:
        """The newest compiled SQL of every dbt node this home built (assets/dbt.py keeps it; explain reads it)."""
        return self.home / "dbt" / "compiled_sql.json"

    @property
    def serving_dir(self) -> Path:
        return self.home / "serving"

    @property
    def serving_db(self) -> Path:
        return self.serving_dir / "marts.duckdb"

    @property
    def validation_dir(self) -> Path:
        """GX validation results and Data Docs."""
        return self.home / "validation"

    @property
    def docs_dir(self) -> Path:
        """dbt docs and GX Data Docs, built by `nhs-warehouse docs`."""
        return self.home / "docs"

    @property
    def report_dir(self) -> Path:
        """The static HTML report, built by `nhs-warehouse report`."""
        return self.home / "report"

    @property
    def alerts_db(self) -> Path:
        """The alert log: its own small DuckDB file, so alerting never waits on the warehouse writer."""
        return self.home / "alerts.duckdb"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ["DAGSTER_HOME"]) if os.environ.get("DAGSTER_HOME") else self.home / "dagster"

    def source_url(self, source_key: str, default: str) -> str:
        """Base URL of a publication, overridable per source (tests point them at loopback)."""
        return self.source_urls.get(source_key) or default

    def ensure_dirs(self) -> None:
        for d in (self.landing_dir, self.incoming_dir, self.quarantine_dir, self.serving_dir, self.validation_dir):
            d.mkdir(parents=True, exist_ok=True)


def load_settings() -> Settings:
    """Read settings now (not at import), so tests and the CLI can change the environment."""
    home = Path(_env("NHS_WAREHOUSE_HOME", "warehouse")).expanduser().resolve()
    source_urls = {
        key[len("NHS_WAREHOUSE_URL_"):].lower(): value
        for key, value in os.environ.items()
        if key.startswith("NHS_WAREHOUSE_URL_") and value.strip()
    }
    return Settings(
        home=home,
        alert_urls=_env_list("NHS_WAREHOUSE_ALERT_URLS"),
        http_timeout_s=_env_float("NHS_WAREHOUSE_HTTP_TIMEOUT", 30.0),
        http_retries=int(_env_float("NHS_WAREHOUSE_HTTP_RETRIES", 4)),
        http_backoff_s=_env_float("NHS_WAREHOUSE_HTTP_BACKOFF", 1.0),
        http_max_bytes=int(_env_float("NHS_WAREHOUSE_HTTP_MAX_BYTES", 200 * 1024 * 1024)),
        max_file_bytes=int(_env_float("NHS_WAREHOUSE_MAX_FILE_BYTES", 1024**3)),
        lock_timeout_s=_env_float("NHS_WAREHOUSE_LOCK_TIMEOUT", 120.0),
        publish_grace_s=_env_float("NHS_WAREHOUSE_PUBLISH_GRACE", 3600.0),
        source_urls=source_urls,
        cqc_api_key=os.environ.get("NHS_WAREHOUSE_CQC_API_KEY", "").strip() or None,
        cqc_local_authority=os.environ.get("NHS_WAREHOUSE_CQC_LOCAL_AUTHORITY", "").strip() or None,
        cqc_region=os.environ.get("NHS_WAREHOUSE_CQC_REGION", "").strip() or None,
        landing_interval_s=int(_env_float("NHS_WAREHOUSE_LANDING_INTERVAL", 5)),
        landing_settle_s=_env_float("NHS_WAREHOUSE_LANDING_SETTLE", 2.0),
        publication_interval_s=int(_env_float("NHS_WAREHOUSE_PUBLICATION_INTERVAL", 3600)),
        poll_publishers=_env("NHS_WAREHOUSE_POLL_PUBLISHERS", "on").casefold() not in ("0", "off", "false", "no"),
        automation_interval_s=int(_env_float("NHS_WAREHOUSE_AUTOMATION_INTERVAL", 30)),
        alert_interval_s=int(_env_float("NHS_WAREHOUSE_ALERT_INTERVAL", 30)),
        alert_reminder_s=_env_float("NHS_WAREHOUSE_ALERT_REMINDER", 24 * 3600.0),
        freshness_cron=_env("NHS_WAREHOUSE_FRESHNESS_CRON", "0 2 * * *"),
        timezone=_env("NHS_WAREHOUSE_TIMEZONE", "Europe/London"),
        dagster_url=_env("NHS_WAREHOUSE_DAGSTER_URL", "http://127.0.0.1:3000").rstrip("/"),
        executor=_env("NHS_WAREHOUSE_EXECUTOR", "in_process"),
        dbt_runs_kept=max(1, int(_env_float("NHS_WAREHOUSE_DBT_RUNS_KEPT", 20))),
        duckdb_memory_limit=_env("NHS_WAREHOUSE_DUCKDB_MEMORY_LIMIT", "2GB"),
        duckdb_threads=max(1, int(_env_float("NHS_WAREHOUSE_DUCKDB_THREADS", 2))),
    )
