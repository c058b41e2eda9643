"""The receiver's HTTP API: the subset of Marquez's that floe's OpenLineage plugin and Marquez
clients call, with Marquez's paths, status codes and JSON shapes, so the same client code works
against the local receiver and a real Marquez."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, NoReturn, Protocol
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from floe.observability.logging import get_logger
from floe.platform.lineage_receiver import graph, page
from floe.platform.lineage_receiver.store import StoreUnavailableError

log = get_logger(__name__)

NAMESPACES = "/api/v1/namespaces"
DEFAULT_LIMIT = 100  # Marquez's default page size


class EventStore(Protocol):
    """What the API needs from storage (PostgresStore in production)."""

    def insert(self, event: Mapping[str, Any]) -> None: ...

    def events(
        self, *, job: tuple[str, str] | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]: ...

    def count(self) -> int: ...

    def ping(self) -> bool: ...


def _fail(code: int, message: str) -> NoReturn:
    raise HTTPException(code, message)


def _json_error(_: Request, exc: Exception) -> Response:
    """Marquez's error body, also for the router's own 404 and 405."""
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        {"code": exc.status_code, "message": exc.detail},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _store_down(_: Request, exc: Exception) -> Response:
    return JSONResponse({"code": 503, "message": str(exc)}, status_code=503)


def _reject_constant(name: str) -> NoReturn:
    # PostgreSQL's jsonb has no NaN or Infinity; refuse them here rather than fail on insert.
    raise ValueError(f"{name} is not valid JSON")


def event_problems(body: object) -> list[str]:
    """Everything wrong with a RunEvent, so an emitter can fix all of it in one go.

    Checks what the OpenLineage spec requires and what the read API relies on (dataset
    references with a namespace and a name); facets are kept as sent.
    """
    if not isinstance(body, dict):
        return ["the body must be one OpenLineage RunEvent, a JSON object"]
    problems: list[str] = []

    def text(path: str, value: object) -> None:
        if value is None:
            problems.append(f"missing required field '{path}'")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"field '{path}' must be a non-empty string")

    def section(path: str, value: object, required: bool = True) -> Mapping[str, Any] | None:
        """The object at ``path`` if it is one; its fields are only checked when it is."""
        if value is None:
            if required:
                problems.append(f"missing required field '{path}'")
            return None
        if not isinstance(value, dict):
            problems.append(f"field '{path}' must be a JSON object")
            return None
        return value

    if body.get("eventTime") is None:
        problems.append("missing required field 'eventTime'")
    else:
        try:
            graph.parse_event_time(body["eventTime"])
        except ValueError as exc:
            problems.append(f"field 'eventTime' {exc}")
    event_type = body.get("eventType")
    if event_type is not None and (
        not isinstance(event_type, str) or event_type not in graph.EVENT_TYPES
    ):
        allowed = ", ".join(sorted(graph.EVENT_TYPES))
        problems.append(f"field 'eventType' must be one of {allowed}, got {event_type!r}")

    run = section("run", body.get("run"))
    if run is not None:
        run_id = run.get("runId")
        text("run.runId", run_id)
        if isinstance(run_id, str) and run_id.strip():
            try:
                uuid.UUID(run_id)
            except ValueError:
                problems.append(f"field 'run.runId' must be a UUID, got {run_id!r}")
        section("run.facets", run.get("facets"), required=False)

    job = section("job", body.get("job"))
    if job is not None:
        text("job.namespace", job.get("namespace"))
        text("job.name", job.get("name"))
        section("job.facets", job.get("facets"), required=False)

    text("producer", body.get("producer"))
    text("schemaURL", body.get("schemaURL"))

    for side in ("inputs", "outputs"):
        datasets = body.get(side)
        if datasets is None:
            continue
        if not isinstance(datasets, list):
            problems.append(f"field '{side}' must be a JSON array")
            continue
        for i, dataset in enumerate(datasets):
            ref = section(f"{side}[{i}]", dataset)
            if ref is not None:
                text(f"{side}[{i}].namespace", ref.get("namespace"))
                text(f"{side}[{i}].name", ref.get("name"))
                section(f"{side}[{i}].facets", ref.get("facets"), required=False)
    return problems


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        _fail(400, f"query parameter '{name}' must be a whole number, got {raw!r}")
    if value < 0:
        _fail(400, f"query parameter '{name}' must not be negative, got {value}")
    return value


def _page(request: Request, key: str, items: list[dict[str, Any]]) -> JSONResponse:
    """Marquez's paged list: ``limit``/``offset`` slice it, ``totalCount`` counts all."""
    limit = _int_param(request, "limit", DEFAULT_LIMIT)
    offset = _int_param(request, "offset", 0)
    return JSONResponse({key: items[offset : offset + limit], "totalCount": len(items)})


def _path_segments(request: Request) -> list[str]:
    """Segments after /api/v1/namespaces/, each URL-decoded on its own.

    Namespaces like ``floe/customer-360`` arrive as ``floe%2Fcustomer-360``; the server has
    already turned that into a '/' in the decoded path, so split the raw path instead.
    """
    raw = request.scope.get("raw_path")
    path = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else quote(request.url.path)
    rest = path.removeprefix(NAMESPACES + "/")
    return [unquote(segment) for segment in rest.split("/")]


def _unknown_path(request: Request) -> NoReturn:
    # The usual cause is a client that left the '/' in a namespace like floe/customer-360 as is.
    _fail(
        404,
        f"Not found: {request.url.path} (names containing '/' must be sent URL-encoded, as %2F)",
    )


class _Api:
    """Route handlers over one store. The synchronous ones run in Starlette's thread pool,
    which is why the store guards its connection with a lock."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def post_lineage(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body(), parse_constant=_reject_constant)
        except ValueError as exc:
            _fail(400, f"the request body is not valid JSON: {exc}")
        problems = event_problems(body)
        if problems:
            log.info("lineage_event_rejected", problems=problems)
            _fail(422, "invalid OpenLineage RunEvent: " + "; ".join(problems))
        await run_in_threadpool(self.store.insert, body)
        return Response(status_code=201)

    def list_namespaces(self, _: Request) -> Response:
        return JSONResponse({"namespaces": graph.namespaces(self.store.events())})

    def namespace_resource(self, request: Request) -> Response:
        segments = _path_segments(request)
        if "" in segments:
            _unknown_path(request)
        match segments:
            case [namespace]:
                return JSONResponse(self._namespace(namespace))
            case [namespace, "jobs"]:
                self._namespace(namespace)
                return _page(request, "jobs", graph.jobs(self.store.events(), namespace))
            case [namespace, "jobs", job]:
                return JSONResponse(self._job(namespace, job))
            case [namespace, "jobs", job, "runs"]:
                runs = graph.runs(self.store.events(job=(namespace, job)), namespace, job)
                if not runs:
                    self._job_not_found(namespace, job)
                return _page(request, "runs", runs)
            case [namespace, "datasets"]:
                self._namespace(namespace)
                return _page(request, "datasets", graph.datasets(self.store.events(), namespace))
            case [namespace, "datasets", name]:
                for dataset in graph.datasets(self.store.events(), namespace):
                    if dataset["name"] == name:
                        return JSONResponse(dataset)
                _fail(404, f"Dataset not found: '{name}' in namespace '{namespace}'")
        _unknown_path(request)

    def _namespace(self, name: str) -> dict[str, Any]:
        for namespace in graph.namespaces(self.store.events()):
            if namespace["name"] == name:
                return namespace
        _fail(404, f"Namespace not found: '{name}'")

    def _job(self, namespace: str, name: str) -> dict[str, Any]:
        found = graph.jobs(self.store.events(job=(namespace, name)), namespace)
        if not found:
            self._job_not_found(namespace, name)
        return found[0]

    @staticmethod
    def _job_not_found(namespace: str, name: str) -> NoReturn:
        _fail(404, f"Job not found: '{name}' in namespace '{namespace}'")

    def lineage(self, request: Request) -> Response:
        node = request.query_params.get("nodeId")
        if not node:
            _fail(400, "query parameter 'nodeId' is required, e.g. dataset:<namespace>:<name>")
        try:
            graph.parse_node_id(node)
        except ValueError as exc:
            _fail(400, str(exc))
        depth = _int_param(request, "depth", graph.DEFAULT_DEPTH)
        try:
            return JSONResponse(graph.lineage(self.store.events(), node, depth))
        except graph.NodeNotFoundError:
            _fail(404, f"Node not found: {node}")

    def lineage_page(self, request: Request) -> Response:
        """The graph for people (Marquez's web UI stands here); the index without a nodeId."""
        node = request.query_params.get("nodeId")
        events = self.store.events()
        if not node:
            found = {
                ns["name"]: graph.datasets(events, ns["name"]) for ns in graph.namespaces(events)
            }
            return HTMLResponse(page.index_page({k: v for k, v in found.items() if v}))
        try:
            drawn = graph.lineage(events, node, _int_param(request, "depth", graph.DEFAULT_DEPTH))
        except ValueError as exc:
            return HTMLResponse(page.error_page(str(exc)), status_code=400)
        except graph.NodeNotFoundError:
            return HTMLResponse(page.error_page(f"Node not found: {node}"), status_code=404)
        return HTMLResponse(page.graph_page(drawn, node))

    def lineage_events(self, request: Request) -> Response:
        limit = _int_param(request, "limit", DEFAULT_LIMIT)
        return JSONResponse(
            {"events": self.store.events(limit=limit), "totalCount": self.store.count()}
        )

    def healthcheck(self, _: Request) -> Response:
        healthy = self.store.ping()
        return JSONResponse({"healthy": healthy}, status_code=200 if healthy else 503)


def create_app(store: EventStore) -> Starlette:
    api = _Api(store)
    return Starlette(
        routes=[
            Route("/api/v1/lineage", api.post_lineage, methods=["POST"]),
            Route("/api/v1/lineage", api.lineage, methods=["GET"]),
            Route(NAMESPACES, api.list_namespaces, methods=["GET"]),
            Route(NAMESPACES + "/{rest:path}", api.namespace_resource, methods=["GET"]),
            Route("/api/v1/events/lineage", api.lineage_events, methods=["GET"]),
            Route("/healthcheck", api.healthcheck, methods=["GET"]),
            Route("/lineage", api.lineage_page, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _json_error, StoreUnavailableError: _store_down},
    )
