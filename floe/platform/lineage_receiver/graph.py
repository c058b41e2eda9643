"""Marquez's read API computed from stored OpenLineage RunEvents.

Marquez keeps normalised tables (jobs, runs, job versions, datasets) up to date as events arrive.
At the local target's scale it is simpler and always consistent to keep only the raw events and
derive each answer from them per request, so these functions are pure: events in, Marquez's JSON
shapes out. They expect events the receiver accepted, i.e. ones that passed its validation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Event = Mapping[str, Any]
Json = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)
NodeKind = Literal["dataset", "job"]

DEFAULT_DEPTH = 20
OWNER = "floe"
EVENT_TYPES = frozenset({"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"})
# Event types that move a run to one of Marquez's run states; OTHER (or none) leaves it as is.
RUN_STATES = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "COMPLETE": "COMPLETED",
    "FAIL": "FAILED",
    "ABORT": "ABORTED",
}
_ENDS_RUN = frozenset({"COMPLETE", "FAIL", "ABORT"})
# Emitters often stamp START and COMPLETE of a fast step with the same time: the event that
# ends a run must still count as its latest.
_SAME_TIME_ORDER = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}


class NodeNotFoundError(LookupError):
    """A lineage nodeId names a job or dataset no event mentions."""


def parse_event_time(value: object) -> datetime:
    """Marquez stores event times as zoned date-times; a time without an offset is ambiguous."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"must be an ISO 8601 date-time, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"must have a timezone offset ('Z' or '+00:00'), got {value!r}")
    return parsed


def format_time(value: datetime) -> str:
    """Marquez answers in UTC with a 'Z' suffix whatever offset the emitter used."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_node_id(node_id: str) -> tuple[NodeKind, Key]:
    """Split on the first colon for the kind and the last for the name: dataset namespaces are
    often URIs (``http://127.0.0.1:8181``) with colons of their own, names never have one."""
    kind, _, rest = node_id.partition(":")
    namespace, _, name = rest.rpartition(":")
    if kind == "dataset" and namespace and name:
        return "dataset", (namespace, name)
    if kind == "job" and namespace and name:
        return "job", (namespace, name)
    raise ValueError(
        f"nodeId {node_id!r} is not 'dataset:<namespace>:<name>' or 'job:<namespace>:<name>'"
    )


def node_id(kind: NodeKind, key: Key) -> str:
    return f"{kind}:{key[0]}:{key[1]}"


TimedEvent = tuple[datetime, Event]


@dataclass
class _Seen:
    """When events first and last mentioned a job or dataset (Marquez's createdAt/updatedAt)."""

    first: datetime
    last: datetime


@dataclass
class _Job(_Seen):
    runs: dict[str, list[TimedEvent]] = field(default_factory=dict)


@dataclass
class _Dataset(_Seen):
    fields: list[Json] = field(default_factory=list)


def _chronological(events: Iterable[Event]) -> list[TimedEvent]:
    timed = [(parse_event_time(e["eventTime"]), e) for e in events]
    timed.sort(key=lambda te: (te[0], _SAME_TIME_ORDER.get(te[1].get("eventType") or "OTHER", 1)))
    return timed


def _refs(event: Event, side: str) -> list[Key]:
    return [(d["namespace"], d["name"]) for d in event.get(side) or ()]


def _schema_fields(dataset: Mapping[str, Any]) -> list[Json] | None:
    schema = (dataset.get("facets") or {}).get("schema")
    if not isinstance(schema, Mapping) or not isinstance(schema.get("fields"), list):
        return None
    return [
        {
            "name": f.get("name"),
            "type": f.get("type"),
            "tags": [],
            "description": f.get("description"),
        }
        for f in schema["fields"]
        if isinstance(f, Mapping)
    ]


class _Model:
    """Jobs, runs and datasets as Marquez would have recorded them from these events."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.jobs: dict[Key, _Job] = {}
        self.datasets: dict[Key, _Dataset] = {}
        for time, event in _chronological(events):
            job_key = (event["job"]["namespace"], event["job"]["name"])
            job = self.jobs.setdefault(job_key, _Job(first=time, last=time))
            job.last = time
            job.runs.setdefault(event["run"]["runId"], []).append((time, event))
            for side in ("inputs", "outputs"):
                for raw in event.get(side) or ():
                    key = (raw["namespace"], raw["name"])
                    dataset = self.datasets.setdefault(key, _Dataset(first=time, last=time))
                    dataset.last = time
                    fields = _schema_fields(raw)
                    if fields is not None:
                        dataset.fields = fields

    def runs_newest_first(self, key: Key) -> list[tuple[str, list[TimedEvent]]]:
        runs = self.jobs[key].runs.items()
        return sorted(runs, key=lambda r: (r[1][0][0], r[1][-1][0], r[0]), reverse=True)

    def job_io(self, key: Key) -> tuple[list[Key], list[Key]]:
        """Like a Marquez job version: the datasets the job's latest run read and wrote."""
        _, latest = self.runs_newest_first(key)[0]
        inputs: dict[Key, None] = {}
        outputs: dict[Key, None] = {}
        for _, event in latest:
            inputs.update(dict.fromkeys(_refs(event, "inputs")))
            outputs.update(dict.fromkeys(_refs(event, "outputs")))
        return list(inputs), list(outputs)

    def job_json(self, key: Key) -> Json:
        job = self.jobs[key]
        inputs, outputs = self.job_io(key)
        run_id, latest = self.runs_newest_first(key)[0]
        return {
            "id": {"namespace": key[0], "name": key[1]},
            "type": "BATCH",
            "name": key[1],
            "namespace": key[0],
            "inputs": [{"namespace": ns, "name": name} for ns, name in inputs],
            "outputs": [{"namespace": ns, "name": name} for ns, name in outputs],
            "latestRun": _run_json(run_id, latest),
            "createdAt": format_time(job.first),
            "updatedAt": format_time(job.last),
        }

    def dataset_json(self, key: Key) -> Json:
        dataset = self.datasets[key]
        return {
            "id": {"namespace": key[0], "name": key[1]},
            "type": "DB_TABLE",
            "name": key[1],
            "physicalName": key[1],
            "namespace": key[0],
            "sourceName": key[0],
            "fields": dataset.fields,
            "createdAt": format_time(dataset.first),
            "updatedAt": format_time(dataset.last),
        }


def _run_json(run_id: str, timed: list[TimedEvent]) -> Json:
    state = "NEW"
    started: datetime | None = None
    ended: datetime | None = None
    for time, event in timed:
        event_type = event.get("eventType")
        state = RUN_STATES.get(event_type or "", state)
        if event_type in ("START", "RUNNING") and started is None:
            started = time
        if event_type in _ENDS_RUN:
            ended = time
    duration = None
    if started is not None and ended is not None:
        duration = round((ended - started).total_seconds() * 1000)
    return {
        "id": run_id,
        "createdAt": format_time(timed[0][0]),
        "updatedAt": format_time(timed[-1][0]),
        "state": state,
        "startedAt": format_time(started) if started else None,
        "endedAt": format_time(ended) if ended else None,
        "durationMs": duration,
        "facets": dict(timed[-1][1]["run"].get("facets") or {}),
    }


def namespaces(events: Iterable[Event]) -> list[Json]:
    """Every namespace a job or dataset lives in, by name."""
    model = _Model(events)
    spans: dict[str, tuple[datetime, datetime]] = {}
    seen: list[tuple[Key, _Seen]] = [*model.jobs.items(), *model.datasets.items()]
    for (ns, _), item in seen:
        first, last = spans.get(ns, (item.first, item.last))
        spans[ns] = (min(first, item.first), max(last, item.last))
    return [
        {
            "name": ns,
            "ownerName": OWNER,
            "description": None,
            "createdAt": format_time(first),
            "updatedAt": format_time(last),
        }
        for ns, (first, last) in sorted(spans.items())
    ]


def jobs(events: Iterable[Event], namespace: str) -> list[Json]:
    """The namespace's jobs by name, each with the inputs and outputs of its latest run."""
    model = _Model(events)
    return [model.job_json(key) for key in sorted(model.jobs) if key[0] == namespace]


def runs(events: Iterable[Event], namespace: str, job: str) -> list[Json]:
    """The job's runs, newest first; empty when no event names the job."""
    model = _Model(events)
    if (namespace, job) not in model.jobs:
        return []
    return [_run_json(run_id, timed) for run_id, timed in model.runs_newest_first((namespace, job))]


def datasets(events: Iterable[Event], namespace: str) -> list[Json]:
    """The namespace's datasets by name, with the fields of their latest schema facet."""
    model = _Model(events)
    return [model.dataset_json(key) for key in sorted(model.datasets) if key[0] == namespace]


def lineage(events: Iterable[Event], node: str, depth: int = DEFAULT_DEPTH) -> Json:
    """Marquez's lineage graph around ``node``.

    As in Marquez, ``depth`` counts steps between jobs that share a dataset (either way round,
    so upstream, downstream and sibling jobs are all reached); the graph then holds those jobs
    and every dataset they read or write, with edges input dataset -> job -> output dataset.
    """
    kind, key = parse_node_id(node)
    model = _Model(events)
    known = model.jobs if kind == "job" else model.datasets
    if key not in known:
        raise NodeNotFoundError(f"no event mentions {node}")
    io = {job: model.job_io(job) for job in model.jobs}
    frontier = {key} if kind == "job" else {j for j, (i, o) in io.items() if key in (*i, *o)}
    reached = set(frontier)
    for _ in range(depth):
        touched = {d for j in frontier for d in (*io[j][0], *io[j][1])}
        frontier = {
            j for j, (i, o) in io.items() if j not in reached and touched.intersection((*i, *o))
        }
        if not frontier:
            break
        reached |= frontier

    edges: set[tuple[str, str]] = set()
    dataset_keys = {key} if kind == "dataset" else set()
    for job in reached:
        inputs, outputs = io[job]
        dataset_keys.update(inputs, outputs)
        edges.update((node_id("dataset", d), node_id("job", job)) for d in inputs)
        edges.update((node_id("job", job), node_id("dataset", d)) for d in outputs)
    nodes = [("DATASET", node_id("dataset", d), model.dataset_json(d)) for d in dataset_keys]
    nodes += [("JOB", node_id("job", j), model.job_json(j)) for j in reached]
    ordered = sorted(edges)
    return {
        "graph": [
            {
                "id": nid,
                "type": node_type,
                "data": data,
                "inEdges": [{"origin": o, "destination": d} for o, d in ordered if d == nid],
                "outEdges": [{"origin": o, "destination": d} for o, d in ordered if o == nid],
            }
            for node_type, nid, data in sorted(nodes, key=lambda n: n[1])
        ]
    }
