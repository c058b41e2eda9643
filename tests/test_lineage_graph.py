"""The lineage receiver answers like Marquez: graph shapes from hand-written OpenLineage events,
and the HTTP API (validation, routing, errors) over an in-memory store instead of PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

import pytest
from starlette.types import ASGIApp, Message

from floe.platform.lineage_receiver import graph
from floe.platform.lineage_receiver.app import create_app
from floe.platform.lineage_receiver.store import StoreUnavailableError
from steps.harness.browser import drawn_graph

NS = "floe/customer-360"
WAREHOUSE = "http://127.0.0.1:8181"
BRONZE = "customer_360.bronze_customers"
SILVER = "customer_360.silver_customers"
GOLD = "customer_360.gold_customer_360"
SILVER_JOB = "customer_360.silver_customers"
GOLD_JOB = "customer_360.gold_customer_360"
RUN_A = "01940000-0000-7000-8000-00000000000a"
RUN_B = "01940000-0000-7000-8000-00000000000b"
RUN_C = "01940000-0000-7000-8000-00000000000c"
RUN_D = "01940000-0000-7000-8000-00000000000d"

Field = tuple[str, str, str | None]  # name, type, description
BRONZE_FIELDS: list[Field] = [
    ("customer_id", "BIGINT", None),
    ("email", "VARCHAR", "primary contact"),
]
SILVER_FIELDS: list[Field] = [
    ("customer_id", "BIGINT", None),
    ("email", "VARCHAR", None),
    ("signup", "DATE", None),
]
GOLD_FIELDS: list[Field] = [("customer_id", "BIGINT", None), ("lifetime_value", "DOUBLE", None)]
ERROR_FACET = {"errorMessage": {"message": "division by zero", "programmingLanguage": "python"}}
DAGSTER_FACET = {"dagster": {"runId": "f00d"}}

DS_ID = f"dataset:{WAREHOUSE}:"
JOB_ID = f"job:{NS}:"


def dataset(name: str, fields: list[Field] | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"namespace": WAREHOUSE, "name": name}
    if fields is not None:
        schema = [{"name": n, "type": t, **({"description": d} if d else {})} for n, t, d in fields]
        ref["facets"] = {"schema": {"fields": schema}}
    return ref


def event(
    event_type: str | None,
    time: str,
    run_id: str,
    job: str,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    run_facets: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventTime": time,
        "run": {"runId": run_id, **({"facets": dict(run_facets)} if run_facets else {})},
        "job": {"namespace": NS, "name": job},
        "inputs": inputs,
        "outputs": outputs,
        "producer": "https://github.com/floe/floe",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    if event_type is not None:
        body["eventType"] = event_type
    return body


# Two chained jobs: silver reads bronze and writes silver; gold reads silver and writes gold.
EVENTS = [
    event("START", "2025-01-01T10:00:00Z", RUN_A, SILVER_JOB, [dataset(BRONZE)], [dataset(SILVER)]),
    event(
        "COMPLETE",
        "2025-01-01T10:00:05.250Z",
        RUN_A,
        SILVER_JOB,
        [dataset(BRONZE, BRONZE_FIELDS)],
        [dataset(SILVER, SILVER_FIELDS)],
        DAGSTER_FACET,
    ),
    event("START", "2025-01-01T10:00:06Z", RUN_B, GOLD_JOB, [dataset(SILVER)], [dataset(GOLD)]),
    event(
        "FAIL",
        "2025-01-01T11:00:07+01:00",
        RUN_B,
        GOLD_JOB,
        [dataset(SILVER)],
        [dataset(GOLD)],
        ERROR_FACET,
    ),
    event("START", "2025-01-01T10:05:00Z", RUN_C, GOLD_JOB, [dataset(SILVER)], [dataset(GOLD)]),
    event(
        "COMPLETE",
        "2025-01-01T10:05:02Z",
        RUN_C,
        GOLD_JOB,
        [dataset(SILVER)],
        [dataset(GOLD, GOLD_FIELDS)],
    ),
    event("START", "2025-01-01T10:10:00Z", RUN_D, SILVER_JOB, [dataset(BRONZE)], [dataset(SILVER)]),
]


def fields_json(fields: list[Field]) -> list[dict[str, Any]]:
    return [{"name": n, "type": t, "tags": [], "description": d} for n, t, d in fields]


def edge(origin: str, destination: str) -> dict[str, str]:
    return {"origin": origin, "destination": destination}


# ---------------------------------------------------------------- graph.py


def test_namespaces_cover_jobs_and_datasets_with_first_and_last_event_times() -> None:
    assert graph.namespaces(EVENTS) == [
        {
            "name": NS,
            "ownerName": "floe",
            "description": None,
            "createdAt": "2025-01-01T10:00:00Z",
            "updatedAt": "2025-01-01T10:10:00Z",
        },
        {
            "name": WAREHOUSE,
            "ownerName": "floe",
            "description": None,
            "createdAt": "2025-01-01T10:00:00Z",
            "updatedAt": "2025-01-01T10:10:00Z",
        },
    ]


def test_jobs_carry_the_inputs_and_outputs_of_their_latest_run() -> None:
    jobs = graph.jobs(EVENTS, NS)
    assert [j["name"] for j in jobs] == [GOLD_JOB, SILVER_JOB]
    gold, silver = jobs
    assert gold["id"] == {"namespace": NS, "name": GOLD_JOB}
    assert gold["type"] == "BATCH"
    assert gold["namespace"] == NS
    assert gold["inputs"] == [{"namespace": WAREHOUSE, "name": SILVER}]
    assert gold["outputs"] == [{"namespace": WAREHOUSE, "name": GOLD}]
    assert (gold["createdAt"], gold["updatedAt"]) == (
        "2025-01-01T10:00:06Z",
        "2025-01-01T10:05:02Z",
    )
    assert (gold["latestRun"]["id"], gold["latestRun"]["state"]) == (RUN_C, "COMPLETED")
    assert silver["inputs"] == [{"namespace": WAREHOUSE, "name": BRONZE}]
    assert silver["outputs"] == [{"namespace": WAREHOUSE, "name": SILVER}]
    assert (silver["latestRun"]["id"], silver["latestRun"]["state"]) == (RUN_D, "RUNNING")
    assert graph.jobs(EVENTS, WAREHOUSE) == []


def test_runs_are_newest_first_with_marquez_states_times_and_latest_facets() -> None:
    assert graph.runs(EVENTS, NS, GOLD_JOB) == [
        {
            "id": RUN_C,
            "createdAt": "2025-01-01T10:05:00Z",
            "updatedAt": "2025-01-01T10:05:02Z",
            "state": "COMPLETED",
            "startedAt": "2025-01-01T10:05:00Z",
            "endedAt": "2025-01-01T10:05:02Z",
            "durationMs": 2000,
            "facets": {},
        },
        {
            "id": RUN_B,
            "createdAt": "2025-01-01T10:00:06Z",
            "updatedAt": "2025-01-01T10:00:07Z",
            "state": "FAILED",
            "startedAt": "2025-01-01T10:00:06Z",
            "endedAt": "2025-01-01T10:00:07Z",
            "durationMs": 1000,
            "facets": ERROR_FACET,
        },
    ]
    silver = graph.runs(EVENTS, NS, SILVER_JOB)
    assert [(r["id"], r["state"], r["endedAt"]) for r in silver] == [
        (RUN_D, "RUNNING", None),
        (RUN_A, "COMPLETED", "2025-01-01T10:00:05.250000Z"),
    ]
    assert (silver[1]["durationMs"], silver[1]["facets"]) == (5250, DAGSTER_FACET)
    assert graph.runs(EVENTS, NS, "no.such_job") == []


def test_run_state_follows_event_types_like_marquez() -> None:
    def state(*types: str | None) -> str:
        events = [
            event(t, f"2025-01-01T10:00:0{i}Z", RUN_A, SILVER_JOB, [], [])
            for i, t in enumerate(types)
        ]
        [run] = graph.runs(events, NS, SILVER_JOB)
        return str(run["state"])

    assert state("START") == "RUNNING"
    assert state("START", "RUNNING") == "RUNNING"
    assert state("START", "COMPLETE") == "COMPLETED"
    assert state("START", "FAIL") == "FAILED"
    assert state("START", "ABORT") == "ABORTED"
    assert state("START", "OTHER") == "RUNNING"
    assert state(None) == "NEW"


def test_an_end_event_stamped_with_its_start_time_still_ends_the_run() -> None:
    same = "2025-01-01T10:00:00Z"
    complete = event("COMPLETE", same, RUN_A, SILVER_JOB, [], [], DAGSTER_FACET)
    start = event("START", same, RUN_A, SILVER_JOB, [], [])
    [run] = graph.runs([complete, start], NS, SILVER_JOB)
    assert (run["state"], run["startedAt"], run["endedAt"]) == ("COMPLETED", same, same)
    assert (run["durationMs"], run["facets"]) == (0, DAGSTER_FACET)


def test_datasets_keep_the_fields_of_their_latest_schema_facet() -> None:
    datasets = graph.datasets(EVENTS, WAREHOUSE)
    assert [d["name"] for d in datasets] == [BRONZE, GOLD, SILVER]
    bronze, gold, silver = datasets
    assert bronze == {
        "id": {"namespace": WAREHOUSE, "name": BRONZE},
        "type": "DB_TABLE",
        "name": BRONZE,
        "physicalName": BRONZE,
        "namespace": WAREHOUSE,
        "sourceName": WAREHOUSE,
        "fields": fields_json(BRONZE_FIELDS),
        "createdAt": "2025-01-01T10:00:00Z",
        "updatedAt": "2025-01-01T10:10:00Z",
    }
    assert gold["fields"] == fields_json(GOLD_FIELDS)
    assert silver["fields"] == fields_json(SILVER_FIELDS)
    assert graph.datasets(EVENTS, NS) == []


def test_lineage_of_a_dataset_links_input_dataset_job_output_dataset() -> None:
    result = graph.lineage(EVENTS, DS_ID + SILVER)
    nodes = {n["id"]: n for n in result["graph"]}
    assert list(nodes) == [
        DS_ID + BRONZE,
        DS_ID + GOLD,
        DS_ID + SILVER,
        JOB_ID + GOLD_JOB,
        JOB_ID + SILVER_JOB,
    ]
    assert [n["type"] for n in nodes.values()] == ["DATASET"] * 3 + ["JOB"] * 2
    silver = nodes[DS_ID + SILVER]
    assert silver["inEdges"] == [edge(JOB_ID + SILVER_JOB, DS_ID + SILVER)]
    assert silver["outEdges"] == [edge(DS_ID + SILVER, JOB_ID + GOLD_JOB)]
    assert silver["data"]["fields"] == fields_json(SILVER_FIELDS)
    gold_job = nodes[JOB_ID + GOLD_JOB]
    assert gold_job["inEdges"] == [edge(DS_ID + SILVER, JOB_ID + GOLD_JOB)]
    assert gold_job["outEdges"] == [edge(JOB_ID + GOLD_JOB, DS_ID + GOLD)]
    assert gold_job["data"]["latestRun"]["state"] == "COMPLETED"
    assert nodes[DS_ID + BRONZE]["inEdges"] == []
    assert nodes[DS_ID + GOLD]["outEdges"] == []


def test_lineage_depth_counts_steps_between_jobs() -> None:
    def ids(node: str, depth: int) -> list[str]:
        return [n["id"] for n in graph.lineage(EVENTS, node, depth)["graph"]]

    assert ids(JOB_ID + SILVER_JOB, 0) == [DS_ID + BRONZE, DS_ID + SILVER, JOB_ID + SILVER_JOB]
    assert ids(DS_ID + BRONZE, 0) == [DS_ID + BRONZE, DS_ID + SILVER, JOB_ID + SILVER_JOB]
    assert ids(JOB_ID + SILVER_JOB, 1) == [
        DS_ID + BRONZE,
        DS_ID + GOLD,
        DS_ID + SILVER,
        JOB_ID + GOLD_JOB,
        JOB_ID + SILVER_JOB,
    ]


def test_lineage_leaves_out_jobs_that_share_no_dataset() -> None:
    elsewhere = {"namespace": WAREHOUSE, "name": "marketing.campaigns"}
    unrelated = event("COMPLETE", "2025-01-01T10:00:00Z", RUN_D, "marketing.load", [], [elsewhere])
    result = graph.lineage([*EVENTS, unrelated], JOB_ID + GOLD_JOB)
    assert len(result["graph"]) == 5
    assert JOB_ID + "marketing.load" not in [n["id"] for n in result["graph"]]


def test_node_ids_split_on_the_first_and_last_colon() -> None:
    assert graph.parse_node_id(DS_ID + SILVER) == ("dataset", (WAREHOUSE, SILVER))
    assert graph.parse_node_id(JOB_ID + GOLD_JOB) == ("job", (NS, GOLD_JOB))
    for bad in ("table:a:b", "dataset:only", "job::name", "dataset:ns:", ""):
        with pytest.raises(ValueError, match="is not 'dataset:<namespace>:<name>'"):
            graph.parse_node_id(bad)
    with pytest.raises(graph.NodeNotFoundError, match="no event mentions job:floe/x:y"):
        graph.lineage(EVENTS, "job:floe/x:y")


def test_event_times_need_an_offset_and_come_back_in_utc() -> None:
    parsed = graph.parse_event_time("2025-01-01T11:00:07.123456789+01:00")
    assert graph.format_time(parsed) == "2025-01-01T10:00:07.123456Z"
    with pytest.raises(ValueError, match="must have a timezone offset"):
        graph.parse_event_time("2025-01-01T10:00:00")
    with pytest.raises(ValueError, match="must be an ISO 8601 date-time, got 'yesterday'"):
        graph.parse_event_time("yesterday")


# ---------------------------------------------------------------- app.py over an in-memory store


class MemoryStore:
    """The PostgreSQL store's methods over a list, to test HTTP without a database."""

    def __init__(self, events: list[dict[str, Any]] | None = None) -> None:
        self.payloads = list(events or [])
        self.healthy = True
        self.down = False

    def insert(self, event: Mapping[str, Any]) -> None:
        self.payloads.append(dict(event))

    def events(
        self, *, job: tuple[str, str] | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        if self.down:
            raise StoreUnavailableError("PostgreSQL at floe@127.0.0.1:1/lineage is unavailable")
        chosen = [
            (graph.parse_event_time(e["eventTime"]), i, e)
            for i, e in enumerate(self.payloads)
            if job is None or (e["job"]["namespace"], e["job"]["name"]) == job
        ]
        return [e for _, _, e in sorted(chosen, key=lambda c: c[:2], reverse=True)][:limit]

    def count(self) -> int:
        return len(self.payloads)

    def ping(self) -> bool:
        return self.healthy


def call(
    app: ASGIApp, method: str, path: str, body: bytes = b"", query: str = ""
) -> tuple[int, Any]:
    """One request straight through ASGI (starlette's TestClient needs httpx, not installed).

    ``path`` is sent as the raw, still-encoded path, like a real HTTP server does."""
    sent: list[Message] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:5000"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 5000),
    }

    async def request() -> None:
        await app(scope, receive, send)

    asyncio.run(request())
    status = sent[0]["status"]
    raw = b"".join(m.get("body", b"") for m in sent[1:])
    if dict(sent[0]["headers"]).get(b"content-type", b"").startswith(b"text/html"):
        return status, raw.decode()
    return status, json.loads(raw) if raw else None


def ns_path(namespace: str, *rest: str) -> str:
    return "/".join(["/api/v1/namespaces", quote(namespace, safe=""), *rest])


def test_post_stores_a_valid_event_and_answers_201_with_no_body() -> None:
    store = MemoryStore()
    status, body = call(
        create_app(store), "POST", "/api/v1/lineage", json.dumps(EVENTS[0]).encode()
    )
    assert (status, body) == (201, None)
    assert store.payloads == [EVENTS[0]]


def test_post_names_every_missing_field() -> None:
    store = MemoryStore()
    status, body = call(create_app(store), "POST", "/api/v1/lineage", b'{"eventType": "START"}')
    assert status == 422
    assert body == {
        "code": 422,
        "message": "invalid OpenLineage RunEvent: missing required field 'eventTime'; "
        "missing required field 'run'; missing required field 'job'; "
        "missing required field 'producer'; missing required field 'schemaURL'",
    }
    assert store.payloads == []


def test_post_names_every_invalid_field() -> None:
    bad = {
        **EVENTS[0],
        "eventTime": "2025-01-01T10:00:00",
        "eventType": "DONE",
        "run": {"runId": "42"},
        "job": {"namespace": NS, "name": ""},
        "inputs": [{"namespace": WAREHOUSE}],
        "outputs": {"namespace": WAREHOUSE, "name": SILVER},
    }
    status, body = call(
        create_app(MemoryStore()), "POST", "/api/v1/lineage", json.dumps(bad).encode()
    )
    assert status == 422
    assert body["message"].split("; ") == [
        "invalid OpenLineage RunEvent: field 'eventTime' must have a timezone offset "
        "('Z' or '+00:00'), got '2025-01-01T10:00:00'",
        "field 'eventType' must be one of ABORT, COMPLETE, FAIL, OTHER, RUNNING, START, got 'DONE'",
        "field 'run.runId' must be a UUID, got '42'",
        "field 'job.name' must be a non-empty string",
        "missing required field 'inputs[0].name'",
        "field 'outputs' must be a JSON array",
    ]


def test_post_refuses_what_is_not_json_or_not_one_event() -> None:
    app = create_app(MemoryStore())
    assert call(app, "POST", "/api/v1/lineage", b"{not json") == (
        400,
        {
            "code": 400,
            "message": "the request body is not valid JSON: Expecting property name enclosed "
            "in double quotes: line 1 column 2 (char 1)",
        },
    )
    assert call(app, "POST", "/api/v1/lineage", b'{"x": NaN}') == (
        400,
        {"code": 400, "message": "the request body is not valid JSON: NaN is not valid JSON"},
    )
    assert call(app, "POST", "/api/v1/lineage", b"[]") == (
        422,
        {
            "code": 422,
            "message": "invalid OpenLineage RunEvent: the body must be one OpenLineage RunEvent,"
            " a JSON object",
        },
    )


def test_reads_route_encoded_namespaces_with_slashes_and_colons() -> None:
    app = create_app(MemoryStore(EVENTS))
    status, body = call(app, "GET", "/api/v1/namespaces")
    assert (status, [n["name"] for n in body["namespaces"]]) == (200, [NS, WAREHOUSE])
    status, body = call(app, "GET", ns_path(NS, "jobs"))
    assert (status, body["totalCount"]) == (200, 2)
    assert [j["name"] for j in body["jobs"]] == [GOLD_JOB, SILVER_JOB]
    status, body = call(app, "GET", ns_path(NS, "jobs", GOLD_JOB))
    assert (status, body["latestRun"]["id"]) == (200, RUN_C)
    status, body = call(app, "GET", ns_path(NS, "jobs", GOLD_JOB, "runs"))
    assert (status, [r["id"] for r in body["runs"]], body["totalCount"]) == (200, [RUN_C, RUN_B], 2)
    status, body = call(app, "GET", ns_path(NS, "jobs", GOLD_JOB, "runs"), query="limit=1&offset=1")
    assert (status, [r["state"] for r in body["runs"]], body["totalCount"]) == (200, ["FAILED"], 2)
    status, body = call(app, "GET", ns_path(WAREHOUSE, "datasets"))
    assert (status, [d["name"] for d in body["datasets"]]) == (200, [BRONZE, GOLD, SILVER])
    status, body = call(app, "GET", ns_path(WAREHOUSE, "datasets", GOLD))
    assert (status, body["fields"]) == (200, fields_json(GOLD_FIELDS))


def test_reads_of_unknown_things_answer_404_in_marquez_format() -> None:
    app = create_app(MemoryStore(EVENTS))
    assert call(app, "GET", ns_path(NS, "jobs", "no.such_job", "runs")) == (
        404,
        {"code": 404, "message": f"Job not found: 'no.such_job' in namespace '{NS}'"},
    )
    assert call(app, "GET", ns_path("floe/nowhere", "jobs")) == (
        404,
        {"code": 404, "message": "Namespace not found: 'floe/nowhere'"},
    )
    assert call(app, "GET", "/api/v1/nothing-here") == (404, {"code": 404, "message": "Not Found"})
    assert call(app, "GET", "/api/v1/lineage", query="nodeId=job%3Afloe%2Fx%3Ay") == (
        404,
        {"code": 404, "message": "Node not found: job:floe/x:y"},
    )


def test_lineage_endpoint_checks_its_query_and_returns_the_graph() -> None:
    app = create_app(MemoryStore(EVENTS))
    assert call(app, "GET", "/api/v1/lineage") == (
        400,
        {
            "code": 400,
            "message": "query parameter 'nodeId' is required, e.g. dataset:<namespace>:<name>",
        },
    )
    status, body = call(app, "GET", "/api/v1/lineage", query="nodeId=silver")
    assert (status, body["message"]) == (
        400,
        "nodeId 'silver' is not 'dataset:<namespace>:<name>' or 'job:<namespace>:<name>'",
    )
    status, body = call(app, "GET", "/api/v1/lineage", query="nodeId=job:x:y&depth=-1")
    assert (status, body["message"]) == (
        400,
        "query parameter 'depth' must not be negative, got -1",
    )
    node = quote(JOB_ID + SILVER_JOB, safe="")
    status, body = call(app, "GET", "/api/v1/lineage", query=f"nodeId={node}&depth=0")
    assert (status, [n["id"] for n in body["graph"]]) == (
        200,
        [DS_ID + BRONZE, DS_ID + SILVER, JOB_ID + SILVER_JOB],
    )


def test_events_endpoint_returns_raw_payloads_newest_first() -> None:
    app = create_app(MemoryStore(EVENTS))
    status, body = call(app, "GET", "/api/v1/events/lineage", query="limit=2")
    assert (status, body["totalCount"]) == (200, 7)
    assert body["events"] == [EVENTS[6], EVENTS[5]]


def test_healthcheck_and_a_down_store_answer_503() -> None:
    store = MemoryStore(EVENTS)
    app = create_app(store)
    assert call(app, "GET", "/healthcheck") == (200, {"healthy": True})
    store.healthy = False
    assert call(app, "GET", "/healthcheck") == (503, {"healthy": False})
    store.down = True
    assert call(app, "GET", "/api/v1/namespaces") == (
        503,
        {"code": 503, "message": "PostgreSQL at floe@127.0.0.1:1/lineage is unavailable"},
    )


def test_an_unencoded_slash_in_a_namespace_gets_a_404_that_says_how_to_send_it() -> None:
    app = create_app(MemoryStore(EVENTS))
    assert call(app, "GET", f"/api/v1/namespaces/{NS}/jobs") == (
        404,
        {
            "code": 404,
            "message": f"Not found: /api/v1/namespaces/{NS}/jobs"
            " (names containing '/' must be sent URL-encoded, as %2F)",
        },
    )


def test_lineage_page_draws_the_nodes_and_edges_the_api_returns() -> None:
    store = MemoryStore()
    for e in EVENTS:
        store.insert(e)
    node = DS_ID + SILVER
    status, api = call(create_app(store), "GET", "/api/v1/lineage", query=f"nodeId={quote(node)}")
    assert status == 200
    status, html = call(create_app(store), "GET", "/lineage", query=f"nodeId={quote(node)}")
    assert status == 200
    nodes, edges = drawn_graph(html, "lineage-graph")
    assert nodes == {n["id"] for n in api["graph"]}
    assert edges == {(e["origin"], e["destination"]) for n in api["graph"] for e in n["outEdges"]}
    assert len(edges) == 4
    assert "completed" in html.split('id="lineage-nodes"', 1)[1]


def test_lineage_page_index_links_every_dataset_and_unknown_nodes_answer_404() -> None:
    store = MemoryStore()
    for e in EVENTS:
        store.insert(e)
    status, html = call(create_app(store), "GET", "/lineage")
    assert status == 200
    links = {unquote(h) for h in re.findall(r'href="/lineage\?nodeId=([^"]+)"', html)}
    assert links == {DS_ID + BRONZE, DS_ID + SILVER, DS_ID + GOLD}
    status, html = call(create_app(store), "GET", "/lineage", query="nodeId=dataset:x:nope")
    assert status == 404
    assert "Node not found: dataset:x:nope" in html
    status, html = call(create_app(store), "GET", "/lineage", query="nodeId=table")
    assert status == 400
    assert "is not &#x27;dataset:&lt;namespace&gt;:&lt;name&gt;&#x27;" in html
