"""OTLP traces to a collector (rotel here, the OpenTelemetry Collector in the chart) and run
metrics to a Prometheus pushgateway: a run is too short-lived to be scraped."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import Field

from floe import config
from floe.observability import tracing
from floe.observability.degraded import report_once
from floe.plugins.base import HealthStatus, TelemetryPlugin
from floe.typedef import FloeModel

METRICS_JOB = "floe_pipeline"


class OtlpTelemetryConfig(FloeModel):
    endpoint: str = Field(
        default="http://127.0.0.1:4318", description="OTLP/HTTP endpoint of the collector."
    )
    pushgateway: str | None = Field(
        default="http://127.0.0.1:9091",
        description="Prometheus pushgateway for run metrics; null disables metrics.",
    )
    timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, description="Per export; a down collector costs at most this."
    )


class OtlpTelemetryPlugin(TelemetryPlugin[OtlpTelemetryConfig]):
    name = "otlp"
    config_model = OtlpTelemetryConfig

    @property
    def endpoint(self) -> str:
        return config.otlp_endpoint(self.config.endpoint)

    def configure(self, service_name: str) -> None:
        tracing.install(service_name, self.endpoint, self.config.timeout_seconds)

    def record_metrics(self, group: Mapping[str, str], values: Mapping[str, float]) -> None:
        if self.config.pushgateway is None:
            return
        from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

        gateway = config.pushgateway_url(self.config.pushgateway)
        registry = CollectorRegistry()
        for name, value in values.items():
            Gauge(name, name.replace("_", " "), registry=registry).set(value)
        try:
            push_to_gateway(
                gateway,
                job=METRICS_JOB,
                grouping_key=dict(group),
                registry=registry,
                timeout=self.config.timeout_seconds,
            )
        except Exception as exc:  # metrics are never worth a failed pipeline
            report_once(f"pushgateway:{gateway}", f"{type(exc).__name__}: {exc}")

    def health_check(self) -> HealthStatus:
        parts = urlsplit(self.endpoint)
        host, port = parts.hostname or "127.0.0.1", parts.port or 4318
        try:
            with socket.create_connection((host, port), timeout=self.config.timeout_seconds):
                pass
        except OSError as exc:
            return HealthStatus(healthy=False, detail=f"{self.endpoint}: {exc}")
        return HealthStatus(healthy=True, detail=f"collector accepting on {host}:{port}")
