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

# DuckDB 2.x writes a storage format DuckDB 1.4 cannot open; BI drivers still bundle 1.4 (STACK.md).
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
    )
