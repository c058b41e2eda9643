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
    unique_id: str
    name: str
    resource_type: str
    span: Span
    ol_run_id: str
    transform: Transform | None


@dataclass
class RunTotals:
    """What the run did, for its metrics and its completion event."""

    models: int = 0
    models_failed: list[str] = field(default_factory=list)
    rows_written: int = 0
    written: dict[str, int] = field(default_factory=dict)


class RunObserver:
    """Traces, lineage, metrics and logs of one pipeline run (one Dagster run)."""

    def __init__(
        self, compiled: CompiledArtifacts, run_id: str, catalog: Any = None, catalog_uri: str = ""
    ) -> None:
        self.compiled = compiled
        self.run_id = run_id
        self.product = compiled.product.name
        self.service = service_name(self.product)
        self.catalog = catalog
        self.catalog_uri = catalog_uri
        self.totals = RunTotals()
        self._by_id = {t.unique_id: t for t in compiled.transforms}
        self._by_name = {t.name: t for t in compiled.transforms}
        self._test_owner = {test: t for t in compiled.transforms for test in t.tests}
        self._nodes: dict[str, _Node] = {}
        self._schemas: dict[str, tuple[tuple[str, str], ...]] = {}
        self._lock = threading.Lock()
        self._started = time.time()
        self._telemetry = _plugin(compiled, "telemetry")
        self._lineage = _plugin(compiled, "lineage")
        if self._telemetry is not None:
            cast(TelemetryPlugin[Any], self._telemetry).configure(self.service)
        self._tracer = tracing.tracer("floe.runtime")
        self.pipeline_job = ol.JobRef(
            self.service, compiled.orchestration.job_name, "DAGSTER", "JOB"
        )
        with tracing.pinned_trace(run_id):
            self.root = self._tracer.start_span(
                f"pipeline.run {self.product}",
                context=otel_context.Context(),
                attributes={
                    "floe.product": self.product,
                    "floe.run_id": run_id,
                    "floe.job": compiled.orchestration.job_name,
                    "floe.namespace": compiled.lakehouse.namespace,
                },
            )
        self._root_ctx = trace.set_span_in_context(self.root)
        configure_run_log(
            config.run_log_dir() / f"{run_id}.jsonl",
            self.trace_id,
            tracing.format_span_id(self.root.get_span_context().span_id),
        )
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
            span_id=tracing.format_span_id(span.get_span_context().span_id),
            parent=(self.pipeline_job, self.run_id) if parent else None,
        )
        try:
            event = ol.run_event(state, job, run_id, ctx, list(inputs), list(outputs), error)
        except Exception as exc:  # a malformed event is a floe bug, never a failed run
            self._log("lineage.event_not_built", level="warning", error=str(exc))
            return
        cast(LineagePlugin[Any], self._lineage).emit(event)

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
            t = self._by_id.get(table) or next(
                (x for x in self.compiled.transforms if x.table == table), None
            )
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

        with self._lock:
            if unique_id in self._nodes:
                return

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
        node = _Node(unique_id, node_name, resource_type, span, str(generate_new_uuid()), transform)
        with self._lock:
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
        failed = status in FAILED_STATUSES
        span = node.span
        span.set_attribute("dbt.status", status)
        rows, snapshot = _iceberg_metadata(dagster_events)
        t = node.transform
        if t is not None and t.resource_type == "model":
            self.totals.models += 1
            if failed:
                self.totals.models_failed.append(t.name)
        if rows is not None and t is not None:
            self.totals.rows_written += rows
            self.totals.written[t.table] = rows
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
            if not failed and rows is not None:
                self._asset_materialized(t, rows, span)
        span.end()

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

    def _asset_materialized(self, t: Transform, rows: int, span: Span) -> None:
        """Emission point 3: Dagster recorded the asset's materialization."""
        from openlineage.client.uuid import generate_new_uuid

        asset = "/".join([self.compiled.lakehouse.namespace, t.table.split(".", 1)[1]])
        job = ol.JobRef(self.service, asset, "DAGSTER", "ASSET")
        self._emit(
            "COMPLETE",
            job,
            str(generate_new_uuid()),
            span,
            inputs=self._inputs(t),
            outputs=[self._dataset(t, rows=rows)],
        )

    # ------------------------------------------------------------------ run end

    def finish(self, success: bool, error: str | None = None) -> None:
        """Emission point 4 plus metrics; then flush, so the trace is queryable at run end."""
        try:
            self._finish(success, error)
        except Exception as exc:
            self._log("observe.finish_failed", level="warning", error=repr(exc))
        finally:
            tracing.flush()
            _forget(self.run_id)

    def _finish(self, success: bool, error: str | None) -> None:
        with self._lock:
            leftover = list(self._nodes.values())
            self._nodes.clear()
        for node in leftover:  # started but never reported: the run was cut short
            node.span.set_status(Status(StatusCode.ERROR, "no result from dbt"))
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
                "floe.status": "failure" if failed else "success",
            }
        )
        outputs = [
            ol.DatasetRef(self.catalog_uri, table, self._schemas.get(table, ()), rows)
            for table, rows in sorted(totals.written.items())
        ]
        self._emit(
            "FAIL" if failed else "COMPLETE",
            self.pipeline_job,
            self.run_id,
            self.root,
            parent=False,
            outputs=outputs,
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
        self.root.end()


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


def start_run(compiled: CompiledArtifacts, run_id: str) -> RunObserver:
    """The observer of ``run_id`` in this process, created (and the run started) on first use."""
    with _observers_lock:
        found = _observers.get(run_id)
        if found is None:
            from floe.runtime.iceberg import catalog_properties, open_catalog

            try:
                catalog: Any = open_catalog(compiled)
                uri = catalog_properties(compiled)["uri"]
            except Exception:
                catalog, uri = None, compiled.plugins.catalog.config.get("uri", "")
            found = RunObserver(compiled, run_id, catalog, str(uri))
            _observers[run_id] = found
        return found


def _forget(run_id: str) -> None:
    with _observers_lock:
        _observers.pop(run_id, None)
