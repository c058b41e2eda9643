"""OpenTelemetry set-up shared by the compiler and pipeline runs.

A pipeline run's trace id is its Dagster run id (both are 128-bit), so anyone holding a run id
can find its trace, its lineage events and its log lines without a lookup table.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Tracer

from floe.observability.degraded import report_once

_pinned_trace_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "floe_pinned_trace_id", default=None
)


def tracer(name: str = "floe") -> Tracer:
    return trace.get_tracer(name)


def trace_id_for_run(run_id: str) -> int:
    return uuid.UUID(run_id).int


TRACEPARENT_TAG = "floe/traceparent"


def traceparent(span: trace.Span) -> str:
    """W3C traceparent of ``span``: what a run is tagged with to join a trace it is part of
    (the demo's, say), since a run's own trace id is fixed by its run id."""
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier, trace.set_span_in_context(span))
    return carrier.get("traceparent", "")


def span_context(traceparent_value: str | None) -> trace.SpanContext | None:
    """The span a W3C traceparent names; None for a missing or malformed one."""
    if not traceparent_value:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    ctx = TraceContextTextMapPropagator().extract({"traceparent": traceparent_value})
    found = trace.get_current_span(ctx).get_span_context()
    return found if found.is_valid else None


def format_trace_id(trace_id: int) -> str:
    return format(trace_id, "032x")


def format_span_id(span_id: int) -> str:
    return format(span_id, "016x")


class RunIdGenerator(RandomIdGenerator):
    """Random ids, except a new trace started inside ``pinned_trace`` takes the run's id."""

    def generate_trace_id(self) -> int:
        pinned = _pinned_trace_id.get()
        return pinned if pinned is not None else super().generate_trace_id()


@contextmanager
def pinned_trace(run_id: str) -> Iterator[int]:
    token = _pinned_trace_id.set(trace_id_for_run(run_id))
    try:
        yield trace_id_for_run(run_id)
    finally:
        _pinned_trace_id.reset(token)


class _ReportingExporter(SpanExporter):
    """Wraps the OTLP exporter so an unreachable collector is one warning, not a traceback."""

    def __init__(self, inner: SpanExporter, endpoint: str) -> None:
        self._inner = inner
        self._endpoint = endpoint

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception as exc:  # an exporter bug must not reach the pipeline either
            result = SpanExportResult.FAILURE
            report_once(f"otlp:{self._endpoint}", str(exc), spans=len(spans))
            return result
        if result is not SpanExportResult.SUCCESS:
            report_once(
                f"otlp:{self._endpoint}", "collector did not accept spans", spans=len(spans)
            )
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def install(service_name: str, endpoint: str, timeout_s: float = 2.0) -> TracerProvider:
    """Install the process-wide tracer provider exporting OTLP/HTTP to ``endpoint``.

    Idempotent per process (OpenTelemetry allows one global provider): a second call returns
    the provider already installed.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # The exporter logs every failed attempt with a traceback; floe reports the loss once.
    logging.getLogger("opentelemetry.exporter.otlp.proto.http").setLevel(logging.CRITICAL)
    logging.getLogger("opentelemetry.sdk.trace.export").setLevel(logging.CRITICAL)
    resource = Resource.create(
        {
            "service.name": service_name,
            # Phoenix (the local trace store) groups traces into projects by this attribute.
            "openinference.project.name": service_name,
        }
    )
    provider = TracerProvider(resource=resource, id_generator=RunIdGenerator())
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces", timeout=timeout_s)
    provider.add_span_processor(
        BatchSpanProcessor(_ReportingExporter(exporter, endpoint), schedule_delay_millis=500)
    )
    trace.set_tracer_provider(provider)
    return provider


def flush(timeout_ms: int = 5000) -> None:
    """Push buffered spans now (end of a run or a compile), bounded by ``timeout_ms``."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_ms)
