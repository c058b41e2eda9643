"""The one place that reads FLOE_* environment variables. Key names are constants here."""

from __future__ import annotations

import os
from pathlib import Path

FLOE_HOME = "FLOE_HOME"
FLOE_CACHE_DIR = "FLOE_CACHE_DIR"
FLOE_DEBUG = "FLOE_DEBUG"
FLOE_DEMO_SEED_SCALE = "FLOE_DEMO_SEED_SCALE"
FLOE_LOG_FORMAT = "FLOE_LOG_FORMAT"


def home() -> Path:
    """Where the local platform keeps its data, logs and pids (default ~/.floe)."""
    return Path(os.environ.get(FLOE_HOME, Path.home() / ".floe")).expanduser()


def cache_dir() -> Path:
    """Cache of dbt parses keyed by content hash (default ~/.cache/floe)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "floe"
    return Path(os.environ.get(FLOE_CACHE_DIR, default)).expanduser()


def debug() -> bool:
    """FLOE_DEBUG=1 lets tracebacks through to the terminal."""
    return os.environ.get(FLOE_DEBUG, "") not in ("", "0", "false")


def seed_scale() -> float:
    """Multiplier on demo seed row counts; 1 gives 100-1,000 rows per table."""
    raw = os.environ.get(FLOE_DEMO_SEED_SCALE, "1")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"{FLOE_DEMO_SEED_SCALE}={raw!r} is not a number; use e.g. 1, 10 or 100"
        ) from None
    if value <= 0:
        raise ValueError(f"{FLOE_DEMO_SEED_SCALE} must be positive, got {raw}")
    return value


def log_format() -> str:
    """'console' for people, 'json' for machines and tests."""
    return os.environ.get(FLOE_LOG_FORMAT, "console")


FLOE_CATALOG_URI = "FLOE_CATALOG_URI"
FLOE_S3_ENDPOINT = "FLOE_S3_ENDPOINT"


def catalog_uri(default: str) -> str:
    """The running platform's catalog URL (exported by 'floe platform env') over the manifest's."""
    return os.environ.get(FLOE_CATALOG_URI, default)


def s3_endpoint(default: str) -> str:
    return os.environ.get(FLOE_S3_ENDPOINT, default)


FLOE_OTLP_ENDPOINT = "FLOE_OTLP_ENDPOINT"
FLOE_LINEAGE_URL = "FLOE_LINEAGE_URL"
FLOE_PUSHGATEWAY_URL = "FLOE_PUSHGATEWAY_URL"


def otlp_endpoint(default: str) -> str:
    """The running platform's OTLP/HTTP collector over the manifest's."""
    return os.environ.get(FLOE_OTLP_ENDPOINT, default)


def lineage_url(default: str) -> str:
    """The running platform's OpenLineage receiver over the manifest's."""
    return os.environ.get(FLOE_LINEAGE_URL, default)


def pushgateway_url(default: str) -> str:
    """The running platform's Prometheus pushgateway over the manifest's."""
    return os.environ.get(FLOE_PUSHGATEWAY_URL, default)


def run_log_dir() -> Path:
    """Where pipeline runs write their JSON log lines, one file per run."""
    return home() / "logs" / "runs"


FLOE_TRIGGERS = "FLOE_TRIGGERS"


def triggers_running() -> bool:
    """Whether a product's schedules and sensors start running when it is served (the
    platform's choice, 'floe platform up --no-triggers' turns it off)."""
    return os.environ.get(FLOE_TRIGGERS, "on") != "off"


FLOE_PLATFORM_MANIFEST_SHA256 = "FLOE_PLATFORM_MANIFEST_SHA256"


def platform_manifest_sha256() -> str | None:
    """Digest of the manifest the running platform registered (set for its Dagster processes)."""
    return os.environ.get(FLOE_PLATFORM_MANIFEST_SHA256) or None


FLOE_ENVIRONMENT = "FLOE_ENVIRONMENT"
FLOE_ARTIFACT_DIGEST = "FLOE_ARTIFACT_DIGEST"
FLOE_WAREHOUSE = "FLOE_WAREHOUSE"
DEV = "dev"


def environment() -> str:
    """The environment a code location serves: 'dev' (the platform's own workspace) unless the
    platform deployed a promoted artifact into staging or prod."""
    return os.environ.get(FLOE_ENVIRONMENT) or DEV


def artifact_digest() -> str | None:
    """The registry digest of the artifact a deployment serves (None in dev, built locally)."""
    return os.environ.get(FLOE_ARTIFACT_DIGEST) or None


def warehouse(default: str) -> str:
    """The environment's warehouse over the manifest's: one artifact, written where it runs."""
    return os.environ.get(FLOE_WAREHOUSE) or default
