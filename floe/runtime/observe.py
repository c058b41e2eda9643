"""Everything a pipeline run tells the outside world: one trace, OpenLineage events at the four
emission points, run metrics and JSON log lines carrying the trace id.

The executor opens a ``RunObserver`` when the run starts and closes it when the run ends; the
dbt asset feeds it dbt's node events in between. The observer never raises into the run: a
down collector, receiver or pushgateway costs one warning (FR-046).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from floe import config
from floe.artifact.models import CompiledArtifacts, Transform
from floe.observability import lineage as ol
from floe.observability import tracing
from floe.observability.degraded import report_once
from floe.observability.logging import configure_run_log, get_logger
from floe.plugins.base import LineagePlugin, TelemetryPlugin
from floe.plugins.registry import default_loader

# dbt logs LogStartLine at info level; NodeStart only at debug.
START_EVENTS = frozenset({"LogStartLine", "NodeStart"})
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
_LOG = get_logger("floe.runtime")


def service_name(product: str) -> str:
    """Service name of a product's traces, also the OpenLineage namespace of its jobs."""
    return f"floe-{product}"


@dataclass
class _Node:
    name: str
    span: Span
    ol_run_id: str
    transform: Transform | None
    resource_type: str


@dataclass
class RunTotals:
    """What the run did, for its metrics and its completion event."""

    models: int = 0
    models_failed: list[str] = field(default_factory=list)
    rows_written: int = 0
    checks: int = 0  # dbt data tests and the quality plugin's expectations
    checks_passed: int = 0


class RunObserver:
    """Traces, lineage, metrics and logs of one pipeline run (one Dagster run)."""

    def __init__(
        self,
        compiled: CompiledArtifacts,
        run_id: str,
        catalog: Any = None,
        catalog_uri: str = "",
        part_of: trace.SpanContext | None = None,
    ) -> None:
        self.compiled = compiled
        self.run_id = run_id
        self.product = compiled.product.name
        self.service = service_name(self.product)
        self.catalog = catalog
        self.catalog_uri = catalog_uri
        self.totals = RunTotals()
        self._by_id = {t.unique_id: t for t in compiled.transforms}
        self._by_table = {t.table: t for t in compiled.transforms}
        self._by_name = {t.name: t for t in compiled.transforms}
        self._test_owner = {test: t for t in compiled.transforms for test in t.tests}
        self._nodes: dict[str, _Node] = {}
        self._spans_by_table: dict[str, Span] = {}
        self._schemas: dict[str, tuple[tuple[str, str], ...]] = {}
        self._lock = threading.Lock()
        self._started = time.time()
        # The run log first, so even a broken telemetry plugin is reported in it.
        self._log_ids = configure_run_log(
            config.run_log_dir() / f"{run_id}.jsonl",
            tracing.format_trace_id(tracing.trace_id_for_run(run_id)),
        )
        self._telemetry = _plugin(compiled, "telemetry")
        self._lineage = _plugin(compiled, "lineage")
        if self._telemetry is not None:
            try:
                cast(TelemetryPlugin[Any], self._telemetry).configure(self.service)
            except Exception as exc:
                _LOG.warning("observe.telemetry_not_configured", error=repr(exc))
                self._telemetry = None
        self._tracer = tracing.tracer("floe.runtime")
        self.pipeline_job = ol.JobRef(
            self.service, compiled.orchestration.job_name, "DAGSTER", "JOB"
        )
        attributes = {
            "floe.product": self.product,
            "floe.run_id": run_id,
            "floe.job": compiled.orchestration.job_name,
            "floe.namespace": compiled.lakehouse.namespace,
            "floe.environment": config.environment(),
        }
        if part_of is not None:  # a run of a larger whole (the demo): linked, and findable
            attributes["floe.part_of.trace_id"] = tracing.format_trace_id(part_of.trace_id)
        with tracing.pinned_trace(run_id):
            self.root = self._tracer.start_span(
                f"pipeline.run {self.product}",
                context=otel_context.Context(),
                attributes=attributes,
                links=[trace.Link(part_of)] if part_of is not None else (),
            )
        self._root_ctx = trace.set_span_in_context(self.root)
        if self.root.get_span_context().is_valid:
            self._log_ids["span_id"] = self._span_id(self.root)
        self._log("pipeline.run.started", job=compiled.orchestration.job_name)
        self._emit("START", self.pipeline_job, run_id, self.root, parent=False)

    # ------------------------------------------------------------------ helpers

    @property
    def trace_id(self) -> str:
        """The run's trace id; without a telemetry plugin the run id still stands in for it, so
        log lines and lineage events of one run share an id either way."""
        ctx = self.root.get_span_context()
        return tracing.format_trace_id(
            ctx.trace_id if ctx.is_valid else tracing.trace_id_for_run(self.run_id)
        )

    @staticmethod
    def _span_id(span: Span) -> str:
        return tracing.format_span_id(span.get_span_context().span_id)

    def _log(self, event: str, span: Span | None = None, level: str = "info", **kw: Any) -> None:
        with trace.use_span(span or self.root, end_on_exit=False):
            getattr(_LOG, level)(event, product=self.product, run_id=self.run_id, **kw)

    def _emit(
        self,
        state: str,
        job: ol.JobRef,
        run_id: str,
        span: Span,
        parent: bool = True,
        inputs: Iterable[ol.DatasetRef] = (),
        outputs: Iterable[ol.DatasetRef] = (),
        error: str | None = None,
    ) -> None:
        if self._lineage is None:
            return
        ctx = ol.EventContext(
            trace_id=self.trace_id,
            span_id=self._span_id(span),
            parent=(self.pipeline_job, self.run_id) if parent else None,
        )
        try:
            event = ol.run_event(state, job, run_id, ctx, list(inputs), list(outputs), error)
            cast(LineagePlugin[Any], self._lineage).emit(event)
        except Exception as exc:  # a floe or third-party plugin bug, never a failed run
            with trace.use_span(span, end_on_exit=False):
                report_once(f"lineage-plugin:{type(self._lineage).__name__}", repr(exc))

    def _fields(self, table: str, refresh: bool = False) -> tuple[tuple[str, str], ...]:
        """A table's columns as the catalog has them (documented columns before it exists)."""
        if not refresh and table in self._schemas:
            return self._schemas[table]
        fields: tuple[tuple[str, str], ...] = ()
        if self.catalog is not None:
            try:
                schema = self.catalog.load_table(table).schema()
                fields = tuple((f.name, str(f.field_type)) for f in schema.fields)
            except Exception:  # not created yet, or catalog hiccup: fall back below
                fields = ()
        if not fields:
            t = self._by_table.get(table)
            fields = tuple((c.name, c.data_type or "unknown") for c in (t.columns if t else []))
        self._schemas[table] = fields
        return fields

    def _dataset(
        self, t: Transform, refresh: bool = False, rows: int | None = None
    ) -> ol.DatasetRef:
        return ol.DatasetRef(self.catalog_uri, t.table, self._fields(t.table, refresh), rows)

    def _inputs(self, t: Transform | None) -> list[ol.DatasetRef]:
        if t is None:
            return []
        return [self._dataset(self._by_name[n]) for n in t.depends_on if n in self._by_name]

    # ------------------------------------------------------------------ dbt events

    def on_dbt_event(self, raw: Mapping[str, Any], dagster_events: Iterable[Any] = ()) -> None:
        try:
            name = raw.get("info", {}).get("name")
            info = raw.get("data", {}).get("node_info") or {}
            unique_id = info.get("unique_id")
            if not unique_id or unique_id.startswith("unit_test"):
                return
            if name in START_EVENTS:
                self._node_started(unique_id, info)
            elif name in RESULT_EVENTS:
                status = str(info.get("node_status") or raw["data"].get("status", "")).lower()
                message = str(raw.get("info", {}).get("msg", ""))
                self._node_finished(unique_id, status, message, list(dagster_events))
        except Exception as exc:  # observing must never break the run
            self._log("observe.dbt_event_failed", level="warning", error=repr(exc))

    def _node_started(self, unique_id: str, info: Mapping[str, Any]) -> None:
        from openlineage.client.uuid import generate_new_uuid

        resource_type = str(info.get("resource_type", unique_id.split(".", 1)[0]))
        node_name = str(info.get("node_name", unique_id.rsplit(".", 1)[-1]))
        transform = self._by_id.get(unique_id)
        attributes: dict[str, Any] = {
            "floe.product": self.product,
            "dbt.unique_id": unique_id,
            "dbt.resource_type": resource_type,
        }
        if transform is not None:
            attributes.update(
                {
                    "floe.model": transform.name,
                    "floe.layer": transform.layer,
                    "floe.table": transform.table,
                    "floe.compute": transform.compute,
                }
            )
        elif resource_type == "test" and node_name in self._test_owner:
            owner = self._test_owner[node_name]
            attributes.update({"floe.model": owner.name, "floe.layer": owner.layer})
        span = self._tracer.start_span(
            f"dbt.{resource_type} {node_name}", context=self._root_ctx, attributes=attributes
        )
        node = _Node(node_name, span, str(generate_new_uuid()), transform, resource_type)
        with self._lock:
            if unique_id in self._nodes:  # dbt logs some starts twice (LogStartLine, NodeStart)
                span.end()
                return
            self._nodes[unique_id] = node
        self._log("dbt.node.started", span, model=node_name, resource_type=resource_type)
        if transform is not None:
            self._emit(
                "START",
                self._dbt_job(transform),
                node.ol_run_id,
                span,
                inputs=self._inputs(transform),
                outputs=[self._dataset(transform)],
            )

    def _dbt_job(self, t: Transform) -> ol.JobRef:
        return ol.JobRef(self.service, t.unique_id, "DBT", t.resource_type.upper())

    def _node_finished(
        self, unique_id: str, status: str, message: str, dagster_events: list[Any]
    ) -> None:
        with self._lock:
            node = self._nodes.pop(unique_id, None)
        if node is None:
            return
        try:
            self._record_result(node, status, message, dagster_events)
        finally:
            node.span.end()

    def _record_result(
        self, node: _Node, status: str, message: str, dagster_events: list[Any]
    ) -> None:
        failed = status in FAILED_STATUSES
        span = node.span
        span.set_attribute("dbt.status", status)
        rows, snapshot = _iceberg_metadata(dagster_events)
        t = node.transform
        if node.resource_type == "test":
            self.on_checks([status == "pass"])
        if t is not None and t.resource_type == "model":
            self.totals.models += 1
            if failed:
                self.totals.models_failed.append(t.name)
        if rows is not None and t is not None:
            self.totals.rows_written += rows
            span.set_attribute("floe.rows_written", rows)
        if snapshot is not None:
            span.set_attribute("iceberg.snapshot_id", snapshot)
            self._commit_span(node, snapshot)
        if failed:
            span.set_status(Status(StatusCode.ERROR, message[:500]))
            self._log(
                "dbt.node.failed", span, level="error", model=node.name, status=status, msg=message
            )
        else:
            span.set_status(Status(StatusCode.OK))
            self._log("dbt.node.finished", span, model=node.name, status=status, rows=rows)
        if t is not None:
            outputs = [self._dataset(t, refresh=not failed, rows=None if failed else rows)]
            self._emit(
                "FAIL" if failed else "COMPLETE",
                self._dbt_job(t),
                node.ol_run_id,
                span,
                inputs=self._inputs(t),
                outputs=outputs,
                error=message if failed else None,
            )
            if not failed:
                self._spans_by_table[t.table] = span

    def _commit_span(self, node: _Node, snapshot: str) -> None:
        """The catalog commit that made the node's rows visible, as the node's child span."""
        if node.transform is None:
            return
        started_ns = time.time_ns()
        commit_ms = None
        if self.catalog is not None:
            try:
                snap = self.catalog.load_table(node.transform.table).snapshot_by_id(int(snapshot))
                commit_ms = snap.timestamp_ms if snap is not None else None
            except Exception:
                commit_ms = None
        at = commit_ms * 1_000_000 if commit_ms else started_ns
        child = self._tracer.start_span(
            f"iceberg.commit {node.transform.table}",
            context=trace.set_span_in_context(node.span),
            start_time=at,
            attributes={
                "iceberg.table": node.transform.table,
                "iceberg.snapshot_id": snapshot,
                "iceberg.catalog": self.catalog_uri,
            },
        )
        child.end(end_time=at)

    def on_checks(self, passed: Iterable[bool]) -> None:
        """Results of quality checks (a dbt test's, or the quality plugin's expectations), for
        the product's quality score."""
        results = list(passed)
        with self._lock:
            self.totals.checks += len(results)
            self.totals.checks_passed += sum(results)

    def on_materialized(self, materialized: Iterable[tuple[str, int | None]]) -> None:
        """Emission point 3, called once Dagster has taken the asset events: one COMPLETE per
        (table, rows) materialized, under the span of the dbt node that wrote it."""
        from openlineage.client.uuid import generate_new_uuid

        try:
            for table, rows in materialized:
                t = self._by_table.get(table)
                if t is None:
                    continue
                asset = "/".join([self.compiled.lakehouse.namespace, table.split(".", 1)[1]])
                self._emit(
                    "COMPLETE",
                    ol.JobRef(self.service, asset, "DAGSTER", "ASSET"),
                    str(generate_new_uuid()),
                    self._spans_by_table.get(table, self.root),
                    inputs=self._inputs(t),
                    outputs=[self._dataset(t, rows=rows)],
                )
        except Exception as exc:  # observing must never break the run
            self._log("observe.materialization_failed", level="warning", error=repr(exc))

    # ------------------------------------------------------------------ run end

    def finish(self, success: bool, error: str | None = None) -> None:
        """Emission point 4 plus metrics; then flush, so the trace is queryable at run end."""
        try:
            self._finish(success, error)
        except Exception as exc:
            self._log("observe.finish_failed", level="warning", error=repr(exc))
        finally:
            self.root.end()
            tracing.flush()
            _forget(self.run_id)

    def _finish(self, success: bool, error: str | None) -> None:
        with self._lock:
            leftover = list(self._nodes.values())
            self._nodes.clear()
        for node in leftover:  # started but never reported: the run was cut short
            node.span.set_status(Status(StatusCode.ERROR, "no result from dbt"))
            if node.transform is not None:
                self._emit("ABORT", self._dbt_job(node.transform), node.ol_run_id, node.span)
            node.span.end()
        duration = time.time() - self._started
        totals = self.totals
        failed = not success or bool(totals.models_failed)
        causes = (
            [f"models failed: {', '.join(totals.models_failed)}"] if totals.models_failed else []
        )
        error = "; ".join([*causes, *([error] if error else [])]) or None
        self.root.set_attributes(
            {
                "floe.models": totals.models,
                "floe.models_failed": len(totals.models_failed),
                "floe.rows_written": totals.rows_written,
                "floe.quality_checks": totals.checks,
                "floe.quality_checks_passed": totals.checks_passed,
                "floe.status": "failure" if failed else "success",
            }
        )
        # No datasets on the pipeline's own events: its model jobs carry them, and a job that
        # "outputs" every table would short-circuit the lineage graph.
        self._emit(
            "FAIL" if failed else "COMPLETE",
            self.pipeline_job,
            self.run_id,
            self.root,
            parent=False,
            error=error if failed else None,
        )
        if self._telemetry is not None:
            cast(TelemetryPlugin[Any], self._telemetry).record_metrics(
                {"product": self.product},
                {
                    "floe_pipeline_run_duration_seconds": round(duration, 3),
                    "floe_pipeline_models_total": totals.models,
                    "floe_pipeline_models_failed": len(totals.models_failed),
                    "floe_pipeline_error_rate": (
                        len(totals.models_failed) / totals.models if totals.models else 0.0
                    ),
                    "floe_pipeline_rows_written": totals.rows_written,
                    "floe_pipeline_run_success": 0.0 if failed else 1.0,
                    "floe_pipeline_last_run_timestamp_seconds": time.time(),
                    "floe_quality_checks_total": totals.checks,
                    "floe_quality_checks_failed": totals.checks - totals.checks_passed,
                    # share of checks that passed; a run without checks has nothing to score
                    **(
                        {"floe_quality_score": totals.checks_passed / totals.checks}
                        if totals.checks
                        else {}
                    ),
                },
            )
        if failed:
            self.root.set_status(Status(StatusCode.ERROR, (error or "run failed")[:500]))
            self._log(
                "pipeline.run.failed",
                level="error",
                failed_models=totals.models_failed,
                error=error,
                seconds=round(duration, 2),
            )
        else:
            self.root.set_status(Status(StatusCode.OK))
            self._log(
                "pipeline.run.succeeded",
                models=totals.models,
                rows_written=totals.rows_written,
                seconds=round(duration, 2),
            )


class NullObserver:
    """Stands in when a run cannot be (or is not) observed; every call does nothing."""

    def on_checks(self, passed: Iterable[bool]) -> None:
        return None

    def on_dbt_event(self, raw: Mapping[str, Any], dagster_events: Iterable[Any] = ()) -> None:
        return None

    def on_materialized(self, materialized: Iterable[tuple[str, int | None]]) -> None:
        return None

    def finish(self, success: bool, error: str | None = None) -> None:
        return None


def _iceberg_metadata(events: Iterable[Any]) -> tuple[int | None, str | None]:
    for event in events:
        metadata = getattr(event, "metadata", None) or {}
        if "iceberg/snapshot_id" in metadata:
            rows = metadata.get("dagster/row_count")
            snapshot = metadata["iceberg/snapshot_id"]
            return (
                int(getattr(rows, "value", rows)) if rows is not None else None,
                str(getattr(snapshot, "text", getattr(snapshot, "value", snapshot))),
            )
    return None, None


def _plugin(compiled: CompiledArtifacts, kind: str) -> Any:
    chosen = getattr(compiled.plugins, kind)
    if chosen is None:
        return None
    try:
        return default_loader().create(kind, chosen.type, chosen.config)
    except Exception as exc:  # a broken telemetry plugin must not stop the pipeline
        _LOG.warning("observe.plugin_unavailable", kind=kind, plugin=chosen.type, error=str(exc))
        return None


_observers: dict[str, RunObserver] = {}
_observers_lock = threading.Lock()


def start_run(
    compiled: CompiledArtifacts, run_id: str, traceparent: str | None = None
) -> RunObserver | NullObserver:
    """The observer of ``run_id`` in this process, created (and the run started) on first use;
    ``traceparent`` names a span the run is part of. Anything going wrong here yields a
    ``NullObserver``: the run goes on unobserved."""
    with _observers_lock:
        found = _observers.get(run_id)
        if found is not None:
            return found
        try:
            from floe.runtime.iceberg import catalog_properties, open_catalog

            try:
                catalog: Any = open_catalog(compiled)
                uri = catalog_properties(compiled)["uri"]
            except Exception:
                catalog, uri = None, compiled.plugins.catalog.config.get("uri", "")
            part_of = tracing.span_context(traceparent)
            found = RunObserver(compiled, run_id, catalog, str(uri), part_of)
        except Exception as exc:
            _LOG.warning("observe.run_not_observed", run_id=run_id, error=repr(exc))
            return NullObserver()
        _observers[run_id] = found
        return found


def current(run_id: str) -> RunObserver | NullObserver:
    """The observer the executor opened for ``run_id``; runs started without floe's executor
    (``materialize()``, ``execute_in_process``) have none and are not observed."""
    with _observers_lock:
        return _observers.get(run_id) or NullObserver()


def _forget(run_id: str) -> None:
    with _observers_lock:
        _observers.pop(run_id, None)
