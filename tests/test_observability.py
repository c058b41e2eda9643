"""Telemetry pieces that need no running service: trace ids, OpenLineage event shape, the
warn-once rule for unreachable destinations, and 'floe logs'."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import pytest
import structlog
from openlineage.client.serde import Serde

from floe.cli import invoke
from floe.observability import lineage as ol
from floe.observability import tracing
from floe.plugins.builtin.lineage_openlineage import OpenLineageHttpPlugin
from floe.plugins.builtin.telemetry_otlp import OtlpTelemetryPlugin
from steps.harness import openlineage

RUN_ID = "0c7f5f8e-3d2a-4b7e-9a51-2f0e8c6d1b4a"


def _free_port() -> int:
    """A port nobody listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_trace_id_is_the_run_id() -> None:
    assert tracing.format_trace_id(tracing.trace_id_for_run(RUN_ID)) == RUN_ID.replace("-", "")
    generator = tracing.RunIdGenerator()
    with tracing.pinned_trace(RUN_ID) as pinned:
        assert generator.generate_trace_id() == pinned == uuid.UUID(RUN_ID).int
    assert generator.generate_trace_id() != uuid.UUID(RUN_ID).int


def _event(state: str, error: str | None = None) -> dict[str, object]:
    pipeline = ol.JobRef("floe-demo", "demo_pipeline", "DAGSTER", "JOB")
    event = ol.run_event(
        state,
        ol.JobRef("floe-demo", "model.demo.silver_a", "DBT", "MODEL"),
        str(uuid.uuid4()),
        ol.EventContext("ab" * 16, "cd" * 8, (pipeline, RUN_ID)),
        inputs=[ol.DatasetRef("http://127.0.0.1:8181", "demo.bronze_a", (("id", "long"),))],
        outputs=[ol.DatasetRef("http://127.0.0.1:8181", "demo.silver_a", (("id", "long"),), 7)],
        error=error,
    )
    result: dict[str, object] = Serde.to_dict(event)
    return result


def test_events_validate_against_the_openlineage_schemas() -> None:
    ok, failed = _event("COMPLETE"), _event("FAIL", error="Binder Error: column x not found")
    assert openlineage.errors(ok) == []
    assert openlineage.errors(failed) == []
    assert failed["eventType"] == "FAIL"
    run = failed["run"]
    assert isinstance(run, dict)
    assert run["facets"]["errorMessage"]["message"] == "Binder Error: column x not found"
    assert run["facets"]["trace"] == {
        "_producer": ol.PRODUCER,
        "_schemaURL": ol.TRACE_FACET_SCHEMA,
        "traceId": "ab" * 16,
        "spanId": "cd" * 8,
    }
    assert run["facets"]["parent"]["run"]["runId"] == RUN_ID
    outputs = ok["outputs"]
    assert isinstance(outputs, list)
    assert outputs[0]["outputFacets"]["outputStatistics"]["rowCount"] == 7
    assert outputs[0]["facets"]["schema"]["fields"] == [
        {"name": "id", "type": "long", "fields": []}
    ]


def test_schema_check_catches_a_broken_event() -> None:
    event = _event("START")
    event["eventType"] = "FINISHED"
    run = event["run"]
    assert isinstance(run, dict)
    run["facets"]["parent"]["run"] = {}
    assert openlineage.errors(event) == [
        "eventType: 'FINISHED' is not one of "
        "['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']",
        "run.facets.parent/parent/run: 'runId' is a required property",
    ]


def test_unreachable_destinations_cost_one_warning_each_and_never_raise() -> None:
    port = _free_port()
    lineage = OpenLineageHttpPlugin({"url": f"http://127.0.0.1:{port}", "timeout_seconds": 1})
    telemetry = OtlpTelemetryPlugin(
        {"endpoint": "http://127.0.0.1:1", "pushgateway": f"http://127.0.0.1:{port}"}
    )
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            lineage.emit(ol.run_event(**_kwargs()))
            telemetry.record_metrics({"product": "demo"}, {"floe_pipeline_models_total": 3})
    lost = [e for e in logs if e["event"] == "observability.export_failed"]
    assert sorted(e["destination"] for e in lost) == [
        f"openlineage:http://127.0.0.1:{port}",
        f"pushgateway:http://127.0.0.1:{port}",
    ]
    assert {e["log_level"] for e in lost} == {"warning"}
    assert telemetry.health_check().healthy is False


def _kwargs() -> dict[str, object]:
    return {
        "state": "START",
        "job": ol.JobRef("floe-demo", "demo_pipeline", "DAGSTER", "JOB"),
        "run_id": RUN_ID,
        "ctx": ol.EventContext("ab" * 16, "cd" * 8),
    }


@pytest.fixture
def run_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLOE_HOME", str(tmp_path))
    folder = tmp_path / "logs" / "runs"
    folder.mkdir(parents=True)
    trace = RUN_ID.replace("-", "")
    lines = [
        {"event": "pipeline.run.started", "level": "info", "trace_id": trace, "span_id": "1" * 16},
        {
            "event": "dbt.node.failed",
            "level": "error",
            "model": "gold_segments",
            "msg": "Invalid Input Error: simulated failure",
            "trace_id": trace,
            "span_id": "2" * 16,
        },
    ]
    (folder / f"{RUN_ID}.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return folder


def test_floe_logs_finds_a_run_by_trace_id_and_filters_errors(run_logs: Path) -> None:
    result = invoke(["logs", RUN_ID.replace("-", ""), "--level", "error", "--json"])
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["model"], shown["span_id"]) == ("gold_segments", "2" * 16)
    by_prefix = invoke(["logs", RUN_ID[:8]])
    assert "dbt.node.failed" in by_prefix.stdout and "pipeline.run.started" in by_prefix.stdout


def test_floe_logs_names_the_folder_when_the_run_is_unknown(run_logs: Path) -> None:
    result = invoke(["logs", "ffffffff"])
    assert result.exit_code == 4
    assert result.stderr.startswith(f"Error: no log of run 'ffffffff' in {run_logs}")


def test_usage_errors_are_one_line_not_a_traceback() -> None:
    result = invoke(["compile", "--bogus"])
    assert result.exit_code == 2
    assert "No such option: --bogus" in result.stderr
    assert "Traceback" not in result.stderr
    assert invoke(["plugins"]).exit_code == 0


class _Emitted:
    """A lineage plugin whose receiver is broken: every emit raises."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def emit(self, event: object) -> None:
        self.events.append(event)
        raise ConnectionError("receiver down")


class _Metrics:
    def __init__(self) -> None:
        self.pushed: list[tuple[dict[str, str], dict[str, float]]] = []

    def configure(self, service_name: str) -> None:
        self.service = service_name

    def record_metrics(self, group: dict[str, str], values: dict[str, float]) -> None:
        self.pushed.append((dict(group), dict(values)))


def _dbt(name: str, unique_id: str, status: str | None = None) -> dict[str, object]:
    info: dict[str, object] = {"unique_id": unique_id, "node_name": unique_id.rsplit(".", 1)[-1]}
    info["resource_type"] = unique_id.split(".", 1)[0]
    if status:
        info["node_status"] = status
    return {"info": {"name": name, "msg": f"{status} {unique_id}"}, "data": {"node_info": info}}


class _Materialized:
    def __init__(self, rows: int, snapshot: str) -> None:
        self.metadata = {"dagster/row_count": rows, "iceberg/snapshot_id": snapshot}


def test_a_failed_run_is_traced_logged_and_counted_even_with_lineage_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from floe.compiler import compile_pipeline
    from floe.runtime import observe

    compiled = compile_pipeline(
        Path(__file__).resolve().parents[1] / "demo" / "iot-telemetry", output_dir=tmp_path / "b"
    ).artifacts
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=tracing.RunIdGenerator())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    lineage, metrics = _Emitted(), _Metrics()
    monkeypatch.setenv("FLOE_HOME", str(tmp_path))
    monkeypatch.setattr(tracing, "tracer", lambda name="floe": provider.get_tracer(name))
    monkeypatch.setattr(
        observe, "_plugin", lambda c, kind: metrics if kind == "telemetry" else lineage
    )
    seed = next(t for t in compiled.transforms if t.resource_type == "seed")
    model = compiled.models[0]
    observer = observe.RunObserver(compiled, RUN_ID, catalog=None, catalog_uri="http://cat")
    observer.on_dbt_event(_dbt("LogStartLine", seed.unique_id))
    observer.on_dbt_event(_dbt("LogSeedResult", seed.unique_id, "success"), [_Materialized(9, "1")])
    observer.on_materialized([(seed.table, 9)])
    observer.on_dbt_event(_dbt("LogStartLine", model.unique_id))
    observer.on_dbt_event(_dbt("LogModelResult", model.unique_id, "error"))
    observer.finish(False, "steps failed: iot_telemetry_dbt")

    spans = {s.name: s for s in exporter.get_finished_spans()}
    root = spans["pipeline.run iot-telemetry"]
    assert format(root.context.trace_id, "032x") == RUN_ID.replace("-", "")
    assert root.status.status_code.name == "ERROR"
    assert spans[f"dbt.seed {seed.name}"].parent.span_id == root.context.span_id
    assert spans[f"dbt.seed {seed.name}"].attributes["floe.rows_written"] == 9
    assert spans[f"dbt.model {model.name}"].status.status_code.name == "ERROR"
    assert spans[f"iceberg.commit {seed.table}"].parent.span_id == (
        spans[f"dbt.seed {seed.name}"].context.span_id
    )
    # The receiver failed at the first event; the plugin was still called for each one.
    assert [e.eventType.value for e in lineage.events] == [
        "START",
        "START",
        "COMPLETE",
        "COMPLETE",
        "START",
        "FAIL",
        "FAIL",
    ]
    ((group, values),) = metrics.pushed
    assert group == {"product": "iot-telemetry"}
    assert values["floe_pipeline_models_total"] == 1
    assert values["floe_pipeline_models_failed"] == 1
    assert values["floe_pipeline_error_rate"] == 1.0
    assert values["floe_pipeline_rows_written"] == 9
    assert values["floe_pipeline_run_success"] == 0.0
    log = [json.loads(x) for x in (tmp_path / "logs" / "runs" / f"{RUN_ID}.jsonl").open()]
    lost = [line for line in log if line["event"] == "observability.export_failed"]
    assert [line["destination"] for line in lost] == ["lineage-plugin:_Emitted"]
    assert {line["trace_id"] for line in log} == {RUN_ID.replace("-", "")}
    failed = [line for line in log if line["event"] == "dbt.node.failed"]
    assert [(f["model"], f["span_id"]) for f in failed] == [
        (model.name, format(spans[f"dbt.model {model.name}"].context.span_id, "016x"))
    ]
    assert log[-1]["event"] == "pipeline.run.failed"
    assert log[-1]["failed_models"] == [model.name]
