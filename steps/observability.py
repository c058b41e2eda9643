"""US4 steps: read a run's trace back from the trace store (Phoenix's HTTP API), its lineage
events from the OpenLineage receiver (Marquez's API), its metrics from Prometheus' query API
and its log lines from the run's JSON log file - never from floe's own memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_bdd import given, parsers, then, when

from floe.observability.tracing import format_trace_id, trace_id_for_run
from floe.platform import runs
from floe.platform.dagster_client import RunResult
from floe.runtime.iceberg import catalog_properties, open_catalog
from steps.common import DEMO
from steps.harness import openlineage
from steps.pipeline import run_product
from steps.platform import LivePlatform, wait_until

DASHBOARD = Path(__file__).resolve().parents[1] / "floe" / "observability" / "dashboards"
OTLP_OK, OTLP_ERROR = 1, 2


def _attr(span: dict[str, Any], key: str) -> Any:
    for attr in span.get("attributes") or []:
        if attr["key"] == key:
            value = attr["value"]
            for kind in ("string_value", "int_value", "double_value", "bool_value"):
                if value.get(kind) is not None:
                    return value[kind]
    return None


def trace_spans(live: LivePlatform, service: str, run_id: str) -> list[dict[str, Any]]:
    """Every span of the run's trace, from Phoenix's span search (project = service name)."""
    return spans_by_trace(live, service, format_trace_id(trace_id_for_run(run_id)))


def spans_by_trace(live: LivePlatform, service: str, trace_id: str) -> list[dict[str, Any]]:
    resp = requests.get(
        f"{live.url('phoenix')}/v1/projects/{service}/spans/otlpv1",
        params={"trace_id": trace_id, "limit": 1000},
        timeout=10,
    )
    if resp.status_code == 404:  # the project appears with its first span
        return []
    resp.raise_for_status()
    return list(resp.json()["data"])


def lineage_events(live: LivePlatform, run_id: str) -> list[dict[str, Any]]:
    """The run's events, picked by the trace id they carry (= the run id), so the parent facets
    the steps check are not also what selected the events."""
    resp = requests.get(
        f"{live.url('lineage')}/api/v1/events/lineage", params={"limit": 10000}, timeout=10
    )
    resp.raise_for_status()
    trace_id = format_trace_id(trace_id_for_run(run_id))
    return [
        event
        for event in resp.json()["events"]
        if ((event["run"].get("facets") or {}).get("trace") or {}).get("traceId") == trace_id
    ]


def prometheus(live: LivePlatform, expr: str) -> list[dict[str, Any]]:
    resp = requests.get(
        f"{live.url('prometheus')}/api/v1/query", params={"query": expr}, timeout=10
    )
    resp.raise_for_status()
    body = resp.json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def run_log(live: LivePlatform, run_id: str) -> list[dict[str, Any]]:
    path = live.settings.home / "logs" / "runs" / f"{run_id}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _integration(event: dict[str, Any]) -> tuple[str, str]:
    facet = event["job"]["facets"]["jobType"]
    return facet["integration"], facet["jobType"]


## Given


@given(parsers.parse('the services "{names}" are stopped'), target_fixture="stopped")
def services_stopped(
    live_platform: LivePlatform, names: str, request: pytest.FixtureRequest
) -> list[str]:
    wanted = [n.strip() for n in names.split(",")]
    by_name = {name: live_platform.platform.service(name) for name in wanted}
    for name in wanted:
        assert by_name[name].stop(), f"{name} was not running"
        assert by_name[name].pid() is None

    def restart() -> None:
        """Leave the platform whole for later scenarios, whatever this one did."""
        for name in wanted:
            if by_name[name].pid() is None:
                live_platform.platform.restart(name)

    request.addfinalizer(restart)
    return wanted


## When


@when("its pipeline fails through the Dagster webserver", target_fixture="run")
def trigger_failing(live_platform: LivePlatform, broken: dict[str, Any]) -> RunResult:
    """Runs the broken copy, then puts the model back for any later scenario."""
    try:
        return run_product(live_platform, broken["name"])
    finally:
        broken["sql_file"].write_text(broken["original"])


@when(
    parsers.parse(
        '"{product}" is compiled by the floe CLI with the platform\'s environment loaded'
    ),
    target_fixture="compiled_at",
)
def compile_traced(live_platform: LivePlatform, product: str, tmp_path: Path) -> float:
    started = time.time()
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "floe"),
            "compile",
            str(DEMO / product),
            "-o",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **live_platform.platform.env()},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return started


@when("the lineage receiver is asked for the events of that run", target_fixture="events")
def ask_lineage(live_platform: LivePlatform, run: RunResult) -> list[dict[str, Any]]:
    return lineage_events(live_platform, run.run_id)


## Then: traces


@then(
    parsers.parse(
        'the trace store returns the run\'s trace for service "{service}" within {limit:d} '
        "seconds of the run's end"
    ),
    target_fixture="spans",
)
def trace_within(
    live_platform: LivePlatform, run: RunResult, service: str, limit: int
) -> list[dict[str, Any]]:
    # Measured from the end Dagster recorded for the run (SC-004), not from this step's start.
    assert isinstance(run.ended_at, float) and run.ended_at > (run.started_at or 0)
    spans: list[dict[str, Any]] = []
    while True:
        spans = trace_spans(live_platform, service, run.run_id)
        latency = time.time() - run.ended_at
        if any(s["parent_span_id"] is None for s in spans) or latency > limit:
            break
        time.sleep(0.2)
    assert any(s["parent_span_id"] is None for s in spans) and latency <= limit, (
        f"no root span of run {run.run_id} in project {service} {latency:.1f}s after the run "
        f"ended ({len(spans)} spans)"
    )
    # The root span is exported last, but the store ingests in batches: read until two reads
    # half a second apart agree, for at most 30 seconds.
    counts, deadline = [len(spans), -1], time.monotonic() + 30
    while counts[-1] != counts[-2]:
        assert time.monotonic() < deadline, f"the trace kept growing: {counts}"
        time.sleep(0.5)
        spans = trace_spans(live_platform, service, run.run_id)
        counts.append(len(spans))
    return spans


@then(parsers.parse('the trace\'s root span is "{name}" with no parent'))
def root_span(spans: list[dict[str, Any]], name: str) -> None:
    roots = [s for s in spans if s["parent_span_id"] is None]
    assert [s["name"] for s in roots] == [name]
    assert roots[0]["status"]["code"] == OTLP_OK


def _root(spans: list[dict[str, Any]]) -> dict[str, Any]:
    (root,) = [s for s in spans if s["parent_span_id"] is None]
    return root


@then(
    parsers.parse(
        'the trace has a "dbt.model" span for each of the {models:d} models and a "dbt.seed" '
        "span for each of the {seeds:d} seeds, each a child of the root span"
    )
)
def model_spans(
    live_platform: LivePlatform,
    run: RunResult,
    spans: list[dict[str, Any]],
    models: int,
    seeds: int,
) -> None:
    compiled = runs.load_artifact(live_platform.build, _product_of(spans))
    root = _root(spans)
    expected_models = sorted(f"dbt.model {t.name}" for t in compiled.models)
    expected_seeds = sorted(
        f"dbt.seed {t.name}" for t in compiled.transforms if t.resource_type == "seed"
    )
    assert len(expected_models) == models and len(expected_seeds) == seeds
    got_models = sorted(s["name"] for s in spans if s["name"].startswith("dbt.model "))
    got_seeds = sorted(s["name"] for s in spans if s["name"].startswith("dbt.seed "))
    assert got_models == expected_models
    assert got_seeds == expected_seeds
    for s in spans:
        if s["name"].startswith(("dbt.model ", "dbt.seed ")):
            assert s["parent_span_id"] == root["span_id"], s["name"]
            assert s["trace_id"] == format_trace_id(trace_id_for_run(run.run_id))


def _product_of(spans: list[dict[str, Any]]) -> str:
    return str(_attr(_root(spans), "floe.product"))


@then(
    "each model span carries its product, layer, rows written and the Iceberg snapshot id the "
    "catalog holds for its table"
)
def model_span_attributes(live_platform: LivePlatform, spans: list[dict[str, Any]]) -> None:
    product = _product_of(spans)
    compiled = runs.load_artifact(live_platform.build, product)
    catalog = open_catalog(compiled)
    for t in compiled.models:
        (span,) = [s for s in spans if s["name"] == f"dbt.model {t.name}"]
        table = catalog.load_table(t.table)
        snapshot = table.current_snapshot()
        assert _attr(span, "floe.product") == product
        assert _attr(span, "floe.model") == t.name
        assert _attr(span, "floe.layer") == t.layer
        assert _attr(span, "iceberg.snapshot_id") == str(snapshot.snapshot_id), t.name
        assert _attr(span, "floe.rows_written") == table.scan().count(), t.name


@then('each model span has one child span "iceberg.commit" naming its table and snapshot')
def commit_spans(spans: list[dict[str, Any]]) -> None:
    for span in [s for s in spans if s["name"].startswith("dbt.model ")]:
        children = [s for s in spans if s["parent_span_id"] == span["span_id"]]
        table = _attr(span, "floe.table")
        assert [c["name"] for c in children] == [f"iceberg.commit {table}"]
        assert _attr(children[0], "iceberg.snapshot_id") == _attr(span, "iceberg.snapshot_id")


@then(
    parsers.parse(
        'the trace has a "dbt.test" span, child of the root span, for each of the {n:d} dbt tests'
    )
)
def test_spans(live_platform: LivePlatform, spans: list[dict[str, Any]], n: int) -> None:
    compiled = runs.load_artifact(live_platform.build, _product_of(spans))
    root = _root(spans)
    tests = [s for s in spans if s["name"].startswith("dbt.test ")]
    assert compiled.dbt.test_count == n
    assert len(tests) == n
    assert {s["parent_span_id"] for s in tests} == {root["span_id"]}
    assert {s["status"]["code"] for s in tests} == {OTLP_OK}


@then(
    parsers.parse(
        'the trace store holds a "{root_name}" trace of "{product}" for service "{service}"'
    ),
    target_fixture="spans",
)
def compile_trace(
    live_platform: LivePlatform, compiled_at: float, root_name: str, product: str, service: str
) -> list[dict[str, Any]]:
    url = f"{live_platform.url('phoenix')}/v1/projects/{service}/spans/otlpv1"

    def roots() -> list[dict[str, Any]]:
        resp = requests.get(url, params={"parent_id": "null", "limit": 100}, timeout=10)
        if resp.status_code != 200:
            return []
        return [
            s
            for s in resp.json()["data"]
            if s["name"] == root_name
            and _attr(s, "floe.product") == product
            and s["start_time_unix_nano"] >= compiled_at * 1e9
        ]

    wait_until(lambda: bool(roots()), timeout=10, what=f"the {root_name} trace in {service}")
    (root,) = roots()
    resp = requests.get(url, params={"trace_id": root["trace_id"], "limit": 100}, timeout=10)
    return list(resp.json()["data"])


@then(parsers.parse('its child spans are "{names}", in that order'))
def compile_children(spans: list[dict[str, Any]], names: str) -> None:
    root = _root(spans)
    children = sorted(
        (s for s in spans if s["parent_span_id"] == root["span_id"]),
        key=lambda s: s["start_time_unix_nano"],
    )
    assert [c["name"] for c in children] == [n.strip() for n in names.split(",")]
    assert {c["status"]["code"] for c in children} == {OTLP_OK}


## Then: lineage


@then("every event validates against the OpenLineage 2-0-2 schema and the schemas of its facets")
def events_valid(events: list[dict[str, Any]]) -> None:
    assert {e["eventType"] for e in events} == {"START", "COMPLETE"}
    problems = {e["job"]["name"] + " " + e["eventType"]: openlineage.errors(e) for e in events}
    assert {k: v for k, v in problems.items() if v} == {}


def _compiled_for(live: LivePlatform, events: list[dict[str, Any]]) -> Any:
    """The artifact of the product whose events these are (job namespace = floe-<product>)."""
    (namespace,) = {e["job"]["namespace"] for e in events}
    return runs.load_artifact(live.build, namespace.removeprefix("floe-"))


@then(
    parsers.parse(
        'each of the {n:d} tables has a dbt "START" and a dbt "COMPLETE" event naming it as the '
        "output"
    )
)
def dbt_events(
    live_platform: LivePlatform, run: RunResult, events: list[dict[str, Any]], n: int
) -> None:
    compiled = _compiled_for(live_platform, events)
    uri = catalog_properties(compiled)["uri"]
    assert len(compiled.transforms) == n
    for t in compiled.transforms:
        mine = [
            e for e in events if _integration(e)[0] == "DBT" and e["job"]["name"] == t.unique_id
        ]
        assert sorted(e["eventType"] for e in mine) == ["COMPLETE", "START"], t.name
        for e in mine:
            assert [(o["namespace"], o["name"]) for o in e["outputs"]] == [(uri, t.table)]


@then(
    parsers.parse(
        'each of the {n:d} tables has a Dagster asset materialization "COMPLETE" event whose row '
        "count equals the catalog's"
    )
)
def asset_events(
    live_platform: LivePlatform, run: RunResult, events: list[dict[str, Any]], n: int
) -> None:
    compiled = _compiled_for(live_platform, events)
    catalog = open_catalog(compiled)
    assets = [e for e in events if _integration(e) == ("DAGSTER", "ASSET")]
    assert len(assets) == n
    assert {e["eventType"] for e in assets} == {"COMPLETE"}
    by_table = {e["outputs"][0]["name"]: e for e in assets}
    assert sorted(by_table) == sorted(t.table for t in compiled.transforms)
    for table, event in by_table.items():
        rows = event["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"]
        assert rows == catalog.load_table(table).scan().count(), table
        assert rows == run.row_counts[table.replace(".", "/", 1)], table  # Dagster's record


@then(
    parsers.parse(
        'the pipeline job "{job}" has a "START" and a "COMPLETE" event for the Dagster run id'
    )
)
def pipeline_events(run: RunResult, events: list[dict[str, Any]], job: str) -> None:
    mine = [e for e in events if _integration(e) == ("DAGSTER", "JOB")]
    assert sorted(e["eventType"] for e in mine) == ["COMPLETE", "START"]
    assert {e["job"]["name"] for e in mine} == {job}
    assert {e["run"]["runId"] for e in mine} == {run.run_id}


@then(
    parsers.parse(
        'the dbt events of "{model}" name its inputs "{inputs}" in the catalog\'s namespace, '
        "with the columns the catalog holds"
    )
)
def model_inputs(
    live_platform: LivePlatform,
    run: RunResult,
    events: list[dict[str, Any]],
    model: str,
    inputs: str,
) -> None:
    compiled = _compiled_for(live_platform, events)
    catalog = open_catalog(compiled)
    uri = catalog_properties(compiled)["uri"]
    t = compiled.transform(model)
    mine = [e for e in events if e["job"]["name"] == t.unique_id]
    assert len(mine) == 2
    for event in mine:
        assert sorted(i["name"] for i in event["inputs"]) == sorted(
            x.strip() for x in inputs.split(",")
        )
        for ds in event["inputs"]:
            assert ds["namespace"] == uri
            fields = [f["name"] for f in ds["facets"]["schema"]["fields"]]
            assert fields == [f.name for f in catalog.load_table(ds["name"]).schema().fields]


@then("every dbt and asset event has a parent run facet pointing at the pipeline run")
def parent_facets(run: RunResult, events: list[dict[str, Any]]) -> None:
    children = [e for e in events if _integration(e) != ("DAGSTER", "JOB")]
    assert len(children) == len(events) - 2  # all but the pipeline's START and COMPLETE
    for e in children:
        parent = e["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == run.run_id
        assert parent["job"]["name"].endswith("_pipeline")


@then(
    "every event carries the run's trace id, and the span id of a span of that trace in the "
    "trace store"
)
def events_in_trace(
    live_platform: LivePlatform, run: RunResult, events: list[dict[str, Any]]
) -> None:
    service = events[0]["job"]["namespace"]
    wanted = {e["run"]["facets"]["trace"]["spanId"] for e in events}
    # The trace store ingests in batches: wait until the events' spans have landed.
    wait_until(
        lambda: wanted <= {s["span_id"] for s in trace_spans(live_platform, service, run.run_id)},
        timeout=15,
        what="the spans the lineage events point at",
    )
    spans = {s["span_id"]: s for s in trace_spans(live_platform, service, run.run_id)}
    trace_id = format_trace_id(trace_id_for_run(run.run_id))
    for e in events:
        facet = e["run"]["facets"]["trace"]
        assert facet["traceId"] == trace_id
        assert facet["spanId"] in spans, (e["job"]["name"], facet["spanId"])
        assert spans[facet["spanId"]]["trace_id"] == trace_id


@then(parsers.parse('the lineage graph of "{table}" leads back to "{first}" and "{second}"'))
def lineage_graph(
    live_platform: LivePlatform, events: list[dict[str, Any]], table: str, first: str, second: str
) -> None:
    """Walks the graph upstream through dbt jobs only (dataset <- job <- dataset ...), so the
    path exists only if each model's events name its real inputs."""
    compiled = _compiled_for(live_platform, events)
    uri = catalog_properties(compiled)["uri"]
    resp = requests.get(
        f"{live_platform.url('lineage')}/api/v1/lineage",
        params={"nodeId": f"dataset:{uri}:{table}", "depth": 20},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    nodes = {n["id"]: n for n in resp.json()["graph"]}
    dbt_jobs = {
        f"job:{e['job']['namespace']}:{e['job']['name']}"
        for e in events
        if _integration(e)[0] == "DBT"
    }
    reached, frontier = set(), [f"dataset:{uri}:{table}"]
    while frontier:
        node = frontier.pop()
        if node in reached:
            continue
        reached.add(node)
        for edge in nodes[node]["inEdges"]:
            origin = edge["origin"]
            if origin.startswith("dataset:") or origin in dbt_jobs:
                frontier.append(origin)
    for upstream in (first, second):
        assert f"dataset:{uri}:{upstream}" in reached, sorted(reached)
    writer = next(t.unique_id for t in compiled.transforms if t.table == table)
    assert f"job:floe-{compiled.product.name}:{writer}" in reached


## Then: metrics


def _metric(live: LivePlatform, name: str, product: str) -> float:
    result = prometheus(live, f'{name}{{product="{product}"}}')
    assert len(result) == 1, (name, result)
    return float(result[0]["value"][1])


def _metric_when(live: LivePlatform, product: str, run: RunResult) -> None:
    """Wait for the scrape that follows this run's push: the pushed run time is past the
    start Dagster recorded for this run, which no earlier run of the product can be."""
    assert isinstance(run.started_at, float)
    since = run.started_at
    wait_until(
        lambda: bool(
            prometheus(
                live, f'floe_pipeline_last_run_timestamp_seconds{{product="{product}"}} > {since}'
            )
        ),
        timeout=30,
        what=f"Prometheus to scrape the metrics of {product}'s run",
    )


@then(
    parsers.parse(
        'Prometheus answers for "{product}": model count {models:d}, error rate {rate:d}, run '
        "succeeded {ok:d}"
    )
)
def metric_values(
    live_platform: LivePlatform, run: RunResult, product: str, models: int, rate: int, ok: int
) -> None:
    _metric_when(live_platform, product, run)
    compiled = runs.load_artifact(live_platform.build, product)
    assert len(compiled.models) == models
    assert _metric(live_platform, "floe_pipeline_models_total", product) == models
    assert _metric(live_platform, "floe_pipeline_models_failed", product) == 0
    assert _metric(live_platform, "floe_pipeline_error_rate", product) == rate
    assert _metric(live_platform, "floe_pipeline_run_success", product) == ok


@then(
    parsers.parse(
        "Prometheus' run duration for \"{product}\" is positive and at most the Dagster run's "
        "duration"
    )
)
def metric_duration(live_platform: LivePlatform, run: RunResult, product: str) -> None:
    seconds = _metric(live_platform, "floe_pipeline_run_duration_seconds", product)
    assert 0 < seconds <= (run.seconds or 0) + 1, (seconds, run.seconds)


@then(
    parsers.parse(
        'Prometheus\' rows written for "{product}" equals the rows the catalog holds in the '
        "run's tables"
    )
)
def metric_rows(live_platform: LivePlatform, product: str) -> None:
    compiled = runs.load_artifact(live_platform.build, product)
    catalog = open_catalog(compiled)
    total = sum(catalog.load_table(t.table).scan().count() for t in compiled.transforms)
    assert _metric(live_platform, "floe_pipeline_rows_written", product) == total


@then(parsers.parse('the Prometheus console "{page}" shows "{product}" with {models:d} models'))
def console_page(live_platform: LivePlatform, page: str, product: str, models: int) -> None:
    resp = requests.get(f"{live_platform.url('prometheus')}/consoles/{page}", timeout=10)
    assert resp.status_code == 200
    html = resp.text
    row = html[html.index(f">{product}<") :]
    row = row[: row.index("</tr>")]
    cells = [c.split(">", 1)[1] for c in row.split("</td>")[:-1]]
    # product, last run, duration, models, failed models, error rate, rows, last run at
    assert cells[1] == "success", cells
    assert cells[3] == str(models), cells


@then("every panel of the Grafana dashboard queries a metric that Prometheus holds")
def dashboard_metrics(live_platform: LivePlatform) -> None:
    board = json.loads((DASHBOARD / "floe-pipelines.json").read_text(encoding="utf-8"))
    names = requests.get(
        f"{live_platform.url('prometheus')}/api/v1/label/__name__/values", timeout=10
    ).json()["data"]
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert len(exprs) == len(board["panels"]) == 7
    for expr in exprs:
        metric = expr.split("{", 1)[0].split("(")[-1].strip()
        assert metric in names, (metric, expr)


## Then: logs and failures


@then("every line of the run's JSON log carries the run's trace id and a span id")
def log_ids(live_platform: LivePlatform, run: RunResult) -> None:
    lines = run_log(live_platform, run.run_id)
    trace_id = format_trace_id(trace_id_for_run(run.run_id))
    # The run's start, and a finished line for each table it materialized.
    assert [line["event"] for line in lines].count("pipeline.run.started") == 1
    finished = {line["model"] for line in lines if line["event"] == "dbt.node.finished"}
    assert {key.split("/")[-1] for key in run.materialized} <= finished
    assert {line["trace_id"] for line in lines} == {trace_id}
    logged = {line["span_id"] for line in lines}
    service = f"floe-{lines[0]['product']}"

    def missing() -> set[str]:
        return logged - {s["span_id"] for s in trace_spans(live_platform, service, run.run_id)}

    # The trace store ingests in batches: wait for the spans, then name any that never came.
    wait_until(lambda: not missing(), timeout=15, what="every logged span in the trace store")
    assert missing() == set()


@then(
    parsers.parse(
        'the run\'s error log line names the model "{model}", and its span id is an ERROR span '
        '"{span_name}" in the trace store'
    )
)
def error_line(live_platform: LivePlatform, run: RunResult, model: str, span_name: str) -> None:
    errors = [
        line
        for line in run_log(live_platform, run.run_id)
        if line["level"] == "error" and line["event"] == "dbt.node.failed"
    ]
    assert [e["model"] for e in errors] == [model]
    service = f"floe-{errors[0]['product']}"
    wait_until(
        lambda: any(
            s["span_id"] == errors[0]["span_id"]
            for s in trace_spans(live_platform, service, run.run_id)
        ),
        timeout=10,
        what="the failed model's span in the trace store",
    )
    (span,) = [
        s
        for s in trace_spans(live_platform, service, run.run_id)
        if s["span_id"] == errors[0]["span_id"]
    ]
    assert span["name"] == span_name
    assert span["status"]["code"] == OTLP_ERROR


@then(
    parsers.parse(
        'the lineage receiver holds a "FAIL" event for "{model}" with the error message, and a '
        '"FAIL" event for the pipeline'
    )
)
def fail_events(live_platform: LivePlatform, run: RunResult, model: str) -> None:
    events = lineage_events(live_platform, run.run_id)
    failed = {
        (e["job"]["name"].rsplit(".", 1)[-1], _integration(e)[1]): e
        for e in events
        if e["eventType"] == "FAIL"
    }
    assert sorted(failed) == sorted([(model, "MODEL"), ("customer_360_failing_pipeline", "JOB")])
    message = failed[(model, "MODEL")]["run"]["facets"]["errorMessage"]["message"]
    assert model in message
    assert (
        "gold_segments"
        in failed[("customer_360_failing_pipeline", "JOB")]["run"]["facets"]["errorMessage"][
            "message"
        ]
    )
    assert [openlineage.errors(e) for e in failed.values()] == [[], []]


@then(
    "the run's log warns exactly once that spans were lost and once that lineage events were lost"
)
def loss_warned_once(live_platform: LivePlatform, run: RunResult) -> None:
    warnings = [
        line["destination"].split(":", 1)[0]
        for line in run_log(live_platform, run.run_id)
        if line["event"] == "observability.export_failed"
    ]
    assert sorted(warnings) == ["openlineage", "otlp"]


@then("after the services are started again the next run's trace is in the trace store")
def recovered(live_platform: LivePlatform, stopped: list[str]) -> None:
    for name in stopped:
        live_platform.platform.restart(name)
    result = run_product(live_platform, "iot-telemetry")
    assert result.status == "SUCCESS"
    wait_until(
        lambda: any(
            s["parent_span_id"] is None
            for s in trace_spans(live_platform, "floe-iot-telemetry", result.run_id)
        ),
        timeout=10,
        what="the trace of the run after recovery",
    )


## The collector (FR-006)


def _probe_request(service: str, name: str, sequence: int) -> tuple[str, bytes]:
    """One OTLP span, as the SDK would export it: (trace id in hex, protobuf body)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

    trace_id, span_id = os.urandom(16), os.urandom(8)
    now = time.time_ns()
    resource = Resource(
        attributes=[
            KeyValue(key="service.name", value=AnyValue(string_value=service)),
            KeyValue(key="openinference.project.name", value=AnyValue(string_value=service)),
        ]
    )
    span = Span(
        trace_id=trace_id,
        span_id=span_id,
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=now - 1_000_000,
        end_time_unix_nano=now,
        attributes=[KeyValue(key="probe.sequence", value=AnyValue(int_value=sequence))],
    )
    body = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[span])])]
    ).SerializeToString()
    return trace_id.hex(), body


def _send_probe(live: LivePlatform, body: bytes) -> requests.Response:
    return requests.post(
        f"{live.url('otlp_http')}/v1/traces",
        data=body,
        headers={"Content-Type": "application/x-protobuf"},
        timeout=5,
    )


@when(
    parsers.parse('a span "{name}" of service "{service}" is sent to the collector over OTLP/HTTP'),
    target_fixture="probe",
)
def send_probe(live_platform: LivePlatform, name: str, service: str) -> dict[str, Any]:
    trace_id, body = _probe_request(service, name, 1)
    resp = _send_probe(live_platform, body)
    return {"name": name, "service": service, "trace_id": trace_id, "status": resp.status_code}


@then(parsers.parse("the collector answers HTTP {status:d}"))
def collector_answers(probe: dict[str, Any], status: int) -> None:
    assert probe["status"] == status, probe


@then(
    parsers.parse(
        "within {seconds:d} seconds the trace store returns, by its trace id, the span "
        '"{name}" of service "{service}" with its attribute "{key}" = {value:d}'
    )
)
def probe_forwarded(
    live_platform: LivePlatform,
    probe: dict[str, Any],
    seconds: int,
    name: str,
    service: str,
    key: str,
    value: int,
) -> None:
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        found[:] = spans_by_trace(live_platform, service, probe["trace_id"])
        return bool(found)

    wait_until(arrived, seconds, f"span {probe['trace_id']} in the trace store")
    assert [(s["name"], s["trace_id"]) for s in found] == [(name, probe["trace_id"])], found
    assert int(_attr(found[0], key)) == value, found[0]


@when(
    "the collector is stopped and a second span is sent to its port",
    target_fixture="second_probe",
)
def probe_without_collector(
    live_platform: LivePlatform, probe: dict[str, Any], request: pytest.FixtureRequest
) -> dict[str, Any]:
    collector = live_platform.platform.service("rotel")
    assert collector.stop(), "rotel was not running"
    request.addfinalizer(lambda: live_platform.platform.restart("rotel"))
    trace_id, body = _probe_request(probe["service"], probe["name"], 2)
    try:
        refused = f"HTTP {_send_probe(live_platform, body).status_code}"
    except requests.ConnectionError as exc:
        refused = type(exc).__name__
    return {"trace_id": trace_id, "outcome": refused, "service": probe["service"]}


@then("the send is refused and the trace store holds no span with the second span's trace id")
def probe_lost(live_platform: LivePlatform, second_probe: dict[str, Any]) -> None:
    assert second_probe["outcome"] == "ConnectionError", second_probe
    time.sleep(2)  # longer than the collector's 200 ms batch: a forwarded span would be there
    spans = spans_by_trace(live_platform, second_probe["service"], second_probe["trace_id"])
    assert spans == [], spans
