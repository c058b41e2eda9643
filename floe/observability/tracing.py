"""OpenTelemetry tracer access. Exporters are installed by the telemetry plugin, if any;
without one, spans are no-ops and cost nothing."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.trace import Tracer


def tracer(name: str = "floe") -> Tracer:
    return trace.get_tracer(name)
