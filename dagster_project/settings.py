"""Every setting of the warehouse, read from environment variables with defaults.

The embedded default needs no setting at all: `nhs-warehouse build` loads the bundled samples in
`data/samples/` into `./warehouse`. Paths derive from `NHS_WAREHOUSE_HOME`, so one variable moves
the whole warehouse (landing store, quarantine, DuckDB file, serving snapshot, Dagster instance).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
# Reference lists (dbt seeds) that expectation suites may read, e.g. the councils that exist.
REFERENCE_DIR = DBT_PROJECT_DIR / "seeds" / "reference"

# DuckDB 2.x writes a storage format DuckDB 1.4 cannot open; BI drivers still bundle 1.4 (docs/stack.md).
STORAGE_COMPATIBILITY_VERSION = "v1.4.0"


class SettingsError(ValueError):
    """A malformed setting, said in one line per variable (the CLI prints it and exits 2)."""


def _env(name: str, **kwargs: Any) -> Any:
    """A field read from the environment variable `name` (also settable by field name in code)."""
    return Field(validation_alias=name, **kwargs)


class Settings(BaseSettings):
    """Every setting, declared once: its type, default, environment variable and validation.

    Read from the environment when constructed (`load_settings()`), so tests and the CLI can change
    it first. Values are validated: `NHS_WAREHOUSE_HTTP_TIMEOUT=soon` or `NHS_WAREHOUSE_DUCKDB_THREADS=1.5`
    is an error naming the variable, never a silent truncation. `settings.replace(x=...)` is a copy
    with some fields changed (tests point sources at loopback servers that way).
    """

    # Environment variables are named by each field's alias (NHS_WAREHOUSE_...), never by the bare field name
    # (`home` would read $HOME): the prefix keeps the name lookup inside the namespace too.
    model_config = SettingsConfigDict(
        env_prefix="NHS_WAREHOUSE_",
        case_sensitive=True,
        frozen=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        validate_default=True,
    )

    home: Path = _env("NHS_WAREHOUSE_HOME", default=Path("warehouse"))
    # Apprise URLs; they may contain commas inside query strings, so whitespace or newlines separate them.
    alert_urls: Annotated[tuple[str, ...], NoDecode] = _env("NHS_WAREHOUSE_ALERT_URLS", default=())
    http_timeout_s: float = _env("NHS_WAREHOUSE_HTTP_TIMEOUT", default=30.0, gt=0)
    http_retries: int = _env("NHS_WAREHOUSE_HTTP_RETRIES", default=4, ge=0)
    http_backoff_s: float = _env("NHS_WAREHOUSE_HTTP_BACKOFF", default=1.0, ge=0)
    http_max_bytes: int = _env("NHS_WAREHOUSE_HTTP_MAX_BYTES", default=200 * 1024 * 1024, gt=0)
    # The largest file intake will read; a larger one is refused before it is read.
    max_file_bytes: int = _env("NHS_WAREHOUSE_MAX_FILE_BYTES", default=1024**3, gt=0)
    lock_timeout_s: float = _env("NHS_WAREHOUSE_LOCK_TIMEOUT", default=120.0, ge=0)
    publish_grace_s: float = _env("NHS_WAREHOUSE_PUBLISH_GRACE", default=3600.0, ge=0)
    # A publication's base URL, per source: NHS_WAREHOUSE_URL_<SOURCE KEY>=https://... (tests: loopback).
    source_urls: dict[str, str] = Field(default_factory=dict)
    # CQC API: the subscription key (sent as Ocp-Apim-Subscription-Key) and which locations a
    # capture covers (a local authority, a region, or both; neither means all of England).
    cqc_api_key: str | None = _env("NHS_WAREHOUSE_CQC_API_KEY", default=None, json_schema_extra={"secret": True})
    cqc_local_authority: str | None = _env("NHS_WAREHOUSE_CQC_LOCAL_AUTHORITY", default=None)
    cqc_region: str | None = _env("NHS_WAREHOUSE_CQC_REGION", default=None)
    # Event-driven operation (dagster_project/automation/). Intervals are seconds between sensor ticks.
    landing_interval_s: int = _env("NHS_WAREHOUSE_LANDING_INTERVAL", default=5, ge=1)
    # A dropped file is taken once its size and mtime have held still this long (judged within one
    # tick when short, across ticks when longer): drop slow copies under a temporary name.
    landing_settle_s: float = _env("NHS_WAREHOUSE_LANDING_SETTLE", default=2.0, ge=0)
    publication_interval_s: int = _env("NHS_WAREHOUSE_PUBLICATION_INTERVAL", default=3600, ge=1)
    # Whether the publication sensors start polling publishers when the daemon starts (on/off).
    poll_publishers: bool = _env("NHS_WAREHOUSE_POLL_PUBLISHERS", default=True)
    automation_interval_s: int = _env("NHS_WAREHOUSE_AUTOMATION_INTERVAL", default=30, ge=1)
    alert_interval_s: int = _env("NHS_WAREHOUSE_ALERT_INTERVAL", default=30, ge=1)
    # An unresolved failure is announced once, then reminded about after this long (0: never remind).
    alert_reminder_s: float = _env("NHS_WAREHOUSE_ALERT_REMINDER", default=24 * 3600.0, ge=0)
    # Nightly freshness reconciliation (cron, in the publisher's time zone).
    freshness_cron: str = _env("NHS_WAREHOUSE_FRESHNESS_CRON", default="0 2 * * *")
    timezone: str = _env("NHS_WAREHOUSE_TIMEZONE", default="Europe/London")
    # Where alerts link to a run: the Dagster UI (`make dev`) as people reach it.
    dagster_url: str = _env("NHS_WAREHOUSE_DAGSTER_URL", default="http://127.0.0.1:3000")
    # How a run executes its steps (executors.py): in_process, multiprocess, k8s or celery.
    executor: str = _env("NHS_WAREHOUSE_EXECUTOR", default="in_process", pattern="^(in_process|multiprocess|k8s|celery)$")
    # dbt target folders of the latest builds kept under dbt_runs_dir (each build writes one).
    dbt_runs_kept: int = _env("NHS_WAREHOUSE_DBT_RUNS_KEPT", default=20, ge=1)
    # DuckDB's buffer pool and worker threads for the warehouse writer (loads, dbt, publish). Its
    # default is 80% of RAM and every core; a BI reader and the Dagster daemon share the machine.
    duckdb_memory_limit: str = _env("NHS_WAREHOUSE_DUCKDB_MEMORY_LIMIT", default="2GB", pattern=r"(?i)^\d+(\.\d+)?\s*[KMGT]i?B$")
    duckdb_threads: int = _env("NHS_WAREHOUSE_DUCKDB_THREADS", default=2, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _source_urls_from_environment(cls, data: Any) -> Any:
        if isinstance(data, dict) and "source_urls" not in data:
            prefix = "NHS_WAREHOUSE_URL_"
            data = {
                **data,
                "source_urls": {
                    key[len(prefix) :].lower(): value.strip()
                    for key, value in os.environ.items()
                    if key.startswith(prefix) and value.strip()
                },
            }
        return data

    @field_validator("home")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return Path(value).expanduser().resolve()

    @field_validator("alert_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        return tuple(part for part in value.split() if part) if isinstance(value, str) else value

    @field_validator("cqc_api_key", "cqc_local_authority", "cqc_region", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("dagster_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some settings changed (validated like the environment's)."""
        return type(self).model_validate({**self.model_dump(), **changes})

    def effective(self) -> dict[str, Any]:
        """Each setting's environment variable and value, secrets masked (`nhs-warehouse status --settings`)."""
        shown: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            extra = info.json_schema_extra  # a dict here; pydantic also allows a function that edits the schema
            if isinstance(extra, dict) and extra.get("secret") and value:
                value = "********"
            alias = info.validation_alias  # each setting's environment variable, a plain name
            shown[alias if isinstance(alias, str) else name] = value
        return shown

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
    """Read settings now (not at import), so tests and the CLI can change the environment first.

    Raises SettingsError naming each malformed variable and what it should be."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            raw = os.environ.get(name) if name.startswith("NHS_WAREHOUSE_") else None
            shown = f"{name}={raw!r}" if raw is not None else name
            problems.append(f"{shown}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None
