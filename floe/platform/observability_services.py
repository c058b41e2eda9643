"""The local target's observability services (DESIGN's stack table): rotel as the OTLP
collector, Arize Phoenix as the trace store (Jaeger in the chart), Prometheus with a
pushgateway (console templates stand in for Grafana), and floe's OpenLineage receiver
speaking Marquez's API (Marquez in the chart)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import sys
from pathlib import Path

from pydantic import SecretStr

from floe.errors import PlatformError
from floe.platform import secrets as sec
from floe.platform.process import ServiceProcess, base_env
from floe.platform.services import http_ok, require_programs
from floe.platform.settings import PlatformSettings

LINEAGE_DATABASE = "lineage"
DASHBOARDS = Path(__file__).resolve().parents[1] / "observability" / "dashboards"
CONSOLE_LIBRARIES = Path("/etc/prometheus/console_libraries")
PHOENIX_LAUNCHER = Path(__file__).resolve().parent / "launchers" / "phoenix_server.py"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def phoenix_python() -> Path:
    """Phoenix lives in its own environment inside the main one (``make setup`` builds it):
    its pins (graphql-core >= 3.3) cannot share an environment with Dagster's."""
    return Path(sys.prefix) / "phoenix" / "bin" / "python"


SYSTEM_PACKAGES = {
    "prometheus": "prometheus",
    "prometheus-pushgateway": "prometheus-pushgateway",
    "dot": "graphviz",  # the lineage receiver draws its graph page with it
}


def check_installed() -> None:
    """Fail before starting anything if a program of the observability stack is missing.
    Only ``up`` checks: ``status`` and ``down`` must work whatever is installed."""
    if not phoenix_python().is_file():
        raise PlatformError(
            f"the trace store (Arize Phoenix) is not installed at {phoenix_python().parents[1]}",
            hint="run 'make setup' (it builds it from requirements-phoenix.lock)",
        )
    require_programs(SYSTEM_PACKAGES)


def _system_binary(name: str) -> str:
    return shutil.which(name) or name


def phoenix(settings: PlatformSettings) -> ServiceProcess:
    work = settings.home / "phoenix"
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **base_env(),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(settings.port("phoenix")),
        "PHOENIX_GRPC_PORT": str(settings.port("phoenix_grpc")),
        "PHOENIX_WORKING_DIR": str(work),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "PHOENIX_LOG_MIGRATIONS": "false",
    }
    url = settings.url("phoenix")
    return ServiceProcess(
        name="phoenix",
        command=[str(phoenix_python()), str(PHOENIX_LAUNCHER)],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=env,
        cwd=work,
        health=lambda: http_ok(f"{url}/healthz"),
    )


def rotel_binary() -> Path:
    spec = importlib.util.find_spec("rotel")
    if spec is None or not spec.submodule_search_locations:
        raise PlatformError("the rotel package is not installed", hint="run 'make setup'")
    return Path(next(iter(spec.submodule_search_locations))) / "rotel-agent"


def rotel(settings: PlatformSettings) -> ServiceProcess:
    """OTLP in on 4317/4318, traces out to Phoenix over OTLP/HTTP, batched for 200 ms."""
    http_port = settings.port("otlp_http")
    return ServiceProcess(
        name="rotel",
        command=[
            str(rotel_binary()),
            "start",
            "--otlp-grpc-endpoint",
            f"127.0.0.1:{settings.port('otlp_grpc')}",
            "--otlp-http-endpoint",
            f"127.0.0.1:{http_port}",
            "--otlp-receiver-metrics-disabled",
            "--otlp-receiver-logs-disabled",
            "--exporter",
            "otlp",
            "--otlp-exporter-endpoint",
            settings.url("phoenix"),
            "--otlp-exporter-protocol",
            "http",
            "--traces-batch-timeout",
            "200ms",
        ],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=base_env(),
        health=lambda: _listening(http_port),
    )


def pushgateway(settings: PlatformSettings) -> ServiceProcess:
    root = settings.home / "pushgateway"
    root.mkdir(parents=True, exist_ok=True)
    url = settings.url("pushgateway")
    return ServiceProcess(
        name="pushgateway",
        command=[
            _system_binary("prometheus-pushgateway"),
            f"--web.listen-address=127.0.0.1:{settings.port('pushgateway')}",
            f"--persistence.file={root / 'metrics.store'}",
            "--persistence.interval=5s",
        ],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=base_env(),
        health=lambda: http_ok(f"{url}/-/ready"),
    )


def prometheus(settings: PlatformSettings) -> ServiceProcess:
    root = settings.home / "prometheus"
    (root / "data").mkdir(parents=True, exist_ok=True)
    config = root / "prometheus.yml"
    # A 2 s scrape keeps a finished run's metrics queryable within seconds. JSON is YAML.
    scrape = {
        "job_name": "pushgateway",
        "honor_labels": True,  # keep each run's product label, not the gateway's
        "static_configs": [{"targets": [f"127.0.0.1:{settings.port('pushgateway')}"]}],
    }
    body = {"global": {"scrape_interval": "2s"}, "scrape_configs": [scrape]}
    config.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    url = settings.url("prometheus")
    command = [
        _system_binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={root / 'data'}",
        f"--web.listen-address=127.0.0.1:{settings.port('prometheus')}",
        f"--web.console.templates={DASHBOARDS}",
        "--storage.tsdb.retention.time=15d",
    ]
    if CONSOLE_LIBRARIES.is_dir():
        command.append(f"--web.console.libraries={CONSOLE_LIBRARIES}")
    return ServiceProcess(
        name="prometheus",
        command=command,
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=base_env(),
        cwd=root,
        health=lambda: http_ok(f"{url}/-/ready"),
    )


def lineage_receiver(settings: PlatformSettings, secrets: dict[str, SecretStr]) -> ServiceProcess:
    url = settings.url("lineage")
    env = {**base_env(), sec.PG_PASSWORD: secrets[sec.PG_PASSWORD].get_secret_value()}
    return ServiceProcess(
        name="lineage-receiver",
        command=[
            sys.executable,
            "-m",
            "floe.platform.lineage_receiver",
            "--host",
            "127.0.0.1",
            "--port",
            str(settings.port("lineage")),
            "--pg-host",
            "127.0.0.1",
            "--pg-port",
            str(settings.port("postgres")),
            "--pg-user",
            "floe",
            "--pg-database",
            LINEAGE_DATABASE,
        ],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=env,
        health=lambda: http_ok(f"{url}/healthcheck"),
    )
