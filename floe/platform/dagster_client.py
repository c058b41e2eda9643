"""A small client for the Dagster webserver's GraphQL API: launch, watch and re-execute runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
from pydantic import Field

from floe.errors import PipelineError, PlatformError
from floe.typedef import FloeModel

REPOSITORY = "__repository__"
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}

_RUN_RESULT = """
  __typename
  ... on LaunchRunSuccess { run { runId status } }
  ... on Error { message }
  ... on RunConfigValidationInvalid { errors { message } }
"""
LAUNCH = "mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {" + _RUN_RESULT + "} }"
RELOAD = """mutation($name: String!) { reloadRepositoryLocation(repositoryLocationName: $name) {
  __typename ... on WorkspaceLocationEntry { locationOrLoadError { __typename
    ... on PythonError { message } } } } }"""
RELOAD_WORKSPACE = "mutation { reloadWorkspace { __typename } }"
RUN = """query($id: ID!, $cursor: String) { runOrError(runId: $id) { __typename
  ... on Run { runId status startTime endTime rootRunId
    stepStats { stepKey status }
    eventConnection(afterCursor: $cursor, limit: 1000) { cursor hasMore events { __typename
      ... on MaterializationEvent { assetKey { path } metadataEntries { label
        ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text } } }
      ... on ExecutionStepFailureEvent { stepKey error { message } }
      ... on RunFailureEvent { message }
      ... on FailedToMaterializeEvent { assetKey { path } }
      ... on AssetMaterializationPlannedEvent { assetKey { path } }
      ... on ObservationEvent { assetKey { path } metadataEntries { label
        ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text } } }
      ... on AssetCheckEvaluationEvent { evaluation { checkName success assetKey { path }
        metadataEntries { label ... on IntMetadataEntry { intValue } } } }
    } } } } }"""


_TICKS = "ticks(limit: 1) { timestamp status runIds }"
TRIGGERS = (
    """query($s: RepositorySelector!) { repositoryOrError(repositorySelector: $s) {
  __typename ... on PythonError { message } ... on RepositoryNotFoundError { message }
  ... on Repository {
    schedules { name pipelineName cronSchedule executionTimezone
      scheduleState { status """
    + _TICKS
    + """ } }
    sensors { name targets { pipelineName } sensorState { status """
    + _TICKS
    + """ } } } } }"""
)
START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) {
  __typename ... on Sensor { sensorState { status } } ... on PythonError { message } } }"""
START_SCHEDULE = """mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) {
  __typename ... on ScheduleStateResult { scheduleState { status } }
  ... on PythonError { message } } }"""
SENSOR_ID = """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) {
  __typename ... on Sensor { id } ... on SensorNotFoundError { message } } }"""
STOP_SENSOR = """mutation($id: String!) { stopSensor(id: $id) { __typename
  ... on StopSensorMutationResult { instigationState { status } }
  ... on PythonError { message } } }"""
SCHEDULE_DRY_RUN = """mutation($s: ScheduleSelector!, $t: Float) {
  scheduleDryRun(selectorData: $s, timestamp: $t) { __typename
    ... on DryRunInstigationTick { timestamp evaluationResult {
      runRequests { runKey tags { key value } }
      skipReason error { message } } }
    ... on PythonError { message } } }"""
RUNS_TAGGED = """query($f: RunsFilter) { runsOrError(filter: $f) {
  ... on Runs { results { runId } } } }"""

DELETE_RUN = """mutation($id: String!) { deleteRun(runId: $id) { __typename
  ... on PythonError { message } } }"""

FAILURE_PREFIX = "dagster._core.definitions.events.Failure: "


class RunResult(FloeModel):
    """A finished (or watched) run, with what it materialized."""

    run_id: str
    status: str
    root_run_id: str | None = None
    seconds: float | None = None
    started_at: float | None = Field(default=None, description="epoch seconds")
    ended_at: float | None = Field(default=None, description="epoch seconds")
    row_counts: dict[str, int] = Field(default_factory=dict)
    snapshot_ids: dict[str, int] = Field(
        default_factory=dict, description="asset key -> the Iceberg snapshot its commit made"
    )
    materialized: list[str] = Field(default_factory=list)
    failed_assets: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    checks: dict[str, bool] = Field(default_factory=dict, description="check name -> passed")
    check_rows: dict[str, int] = Field(default_factory=dict, description="rows a check saw")
    order: list[str] = Field(
        default_factory=list,
        description="materializations and checks, in event order ('check:<asset>:<name>' for "
        "checks)",
    )
    observations: dict[str, dict[str, int | str]] = Field(
        default_factory=dict, description="asset key -> the metadata of its last observation"
    )


class Trigger(FloeModel):
    """A schedule or sensor of a code location, as Dagster holds it."""

    kind: str
    name: str
    job: str
    status: str
    cron: str | None = None
    timezone: str | None = None
    last_tick_at: float | None = None
    last_tick_status: str | None = None
    last_run_ids: list[str] = Field(default_factory=list)


class DagsterClient:
    def __init__(self, url: str, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = requests.post(
                f"{self.url}/graphql",
                json={"query": query, "variables": variables},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise PlatformError(
                f"Dagster at {self.url} is not answering ({type(exc).__name__})",
                hint="check 'floe platform status'; start it with 'floe platform up'",
            ) from None
        body = resp.json()
        if body.get("errors"):
            raise PlatformError(f"Dagster GraphQL error: {body['errors'][0]['message']}")
        return body["data"]  # type: ignore[no-any-return]

    def run_count(self) -> int:
        """How many runs this Dagster instance holds."""
        data = self._query("{ runsOrError { ... on Runs { count } } }", {})
        return int(data["runsOrError"]["count"])

    def reload(self, location: str) -> bool:
        """Restart one code location so it loads the latest artifact; a location new to the
        workspace file makes the whole workspace reload (returns True then)."""
        data = self._query(RELOAD, {"name": location})["reloadRepositoryLocation"]
        new = bool(data["__typename"] == "RepositoryLocationNotFound")
        if new:
            self._query(RELOAD_WORKSPACE, {})
            data = self._query(RELOAD, {"name": location})["reloadRepositoryLocation"]
        err = (data.get("locationOrLoadError") or {}).get("message")
        if data["__typename"] != "WorkspaceLocationEntry" or err:
            raise PlatformError(
                f"Dagster cannot load code location '{location}': {err or data['__typename']}",
                hint="compile the product into the platform's workspace and check its "
                "definitions.py",
            )
        return new

    def reload_workspace(self) -> None:
        """Read the workspace file again: locations added or removed since the last read."""
        self._query(RELOAD_WORKSPACE, {})

    def launch(
        self,
        location: str,
        job: str,
        assets: list[str] | None = None,
        parent: RunResult | None = None,
        run_config: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Launch ``job``; ``assets`` ('ns/table' keys) limits it to those assets, ``parent``
        records the run it re-executes, and ``tags`` go on the run."""
        selector: dict[str, Any] = {
            "repositoryLocationName": location,
            "repositoryName": REPOSITORY,
            "jobName": job,
        }
        params: dict[str, Any] = {"selector": selector, "runConfigData": run_config or {}}
        if assets is not None:
            selector["assetSelection"] = [{"path": key.split("/")} for key in assets]
        run_tags = [{"key": k, "value": v} for k, v in (tags or {}).items()]
        if parent is not None:
            root = parent.root_run_id or parent.run_id
            params["executionMetadata"] = {
                "parentRunId": parent.run_id,
                "rootRunId": root,
                "tags": [
                    {"key": "dagster/parent_run_id", "value": parent.run_id},
                    {"key": "dagster/root_run_id", "value": root},
                    *run_tags,
                ],
            }
        elif run_tags:
            params["executionMetadata"] = {"tags": run_tags}
        return _run_id(self._query(LAUNCH, {"p": params})["launchRun"])

    def run(self, run_id: str) -> RunResult:
        data = self._query(RUN, {"id": run_id, "cursor": None})["runOrError"]
        if data["__typename"] != "Run":
            raise PlatformError(f"run {run_id} not found")
        events = list(data["eventConnection"]["events"])
        # A run logs many events (a Spark run thousands): read every page, not the first.
        page = data["eventConnection"]
        while page["hasMore"]:
            more = self._query(RUN, {"id": run_id, "cursor": page["cursor"]})["runOrError"]
            page = more["eventConnection"]
            events += page["events"]
        counts: dict[str, int] = {}
        snapshots: dict[str, int] = {}
        materialized, failed, errors, order, planned = [], [], [], [], []
        checks: dict[str, bool] = {}
        check_rows: dict[str, int] = {}
        observations: dict[str, dict[str, int | str]] = {}
        for ev in events:
            kind = ev["__typename"]
            if kind == "MaterializationEvent":
                key = "/".join(ev["assetKey"]["path"])
                materialized.append(key)
                order.append(key)
                for entry in ev["metadataEntries"]:
                    if entry["label"] == "dagster/row_count" and "intValue" in entry:
                        counts[key] = entry["intValue"]
                    if entry["label"] == "iceberg/snapshot_id" and "text" in entry:
                        snapshots[key] = int(entry["text"])
            elif kind == "AssetCheckEvaluationEvent":
                name = ev["evaluation"]["checkName"]
                checks[name] = bool(ev["evaluation"]["success"])
                for entry in ev["evaluation"]["metadataEntries"]:
                    if entry["label"] == "element_count" and "intValue" in entry:
                        check_rows[name] = entry["intValue"]
                asset = "/".join(ev["evaluation"]["assetKey"]["path"])
                order.append(f"check:{asset}:{name}")
            elif kind == "ObservationEvent":
                observations["/".join(ev["assetKey"]["path"])] = {
                    e["label"]: e["intValue"] if "intValue" in e else e.get("text", "")
                    for e in ev["metadataEntries"]
                }
            elif kind == "AssetMaterializationPlannedEvent":
                planned.append("/".join(ev["assetKey"]["path"]))
            elif kind == "FailedToMaterializeEvent":
                failed.append("/".join(ev["assetKey"]["path"]))
            elif kind == "ExecutionStepFailureEvent":
                message = ev["error"]["message"] if ev.get("error") else ev["stepKey"]
                # A Failure raised by floe already says what failed; drop Dagster's class path.
                errors.append(message.removeprefix(FAILURE_PREFIX))
            elif kind == "RunFailureEvent" and ev.get("message"):
                errors.append(ev["message"])
        if data["status"] in ("FAILURE", "CANCELED"):
            # Planned but never materialized: failed, or skipped below a failure.
            failed += [key for key in planned if key not in materialized]
        start, end = data.get("startTime"), data.get("endTime")
        return RunResult(
            run_id=run_id,
            status=data["status"],
            root_run_id=data.get("rootRunId"),
            seconds=round(end - start, 2) if start and end else None,
            started_at=start,
            ended_at=end,
            row_counts=counts,
            snapshot_ids=snapshots,
            materialized=materialized,
            failed_assets=sorted(set(failed)),
            errors=errors,
            checks=checks,
            check_rows=check_rows,
            order=order,
            observations=observations,
        )

    def triggers(self, location: str) -> list[Trigger]:
        """The location's schedules and sensors: state, and their last tick."""
        selector = {"repositoryLocationName": location, "repositoryName": REPOSITORY}
        repo = self._query(TRIGGERS, {"s": selector})["repositoryOrError"]
        if repo["__typename"] != "Repository":
            raise PlatformError(
                f"Dagster has no code location '{location}': {repo.get('message', '')}",
                hint="run it once with 'floe run', or check 'floe platform status'",
            )
        found = []
        for kind, items in (("schedule", repo["schedules"]), ("sensor", repo["sensors"])):
            for item in items:
                state = item["scheduleState" if kind == "schedule" else "sensorState"]
                ticks = state["ticks"]
                found.append(
                    Trigger(
                        kind=kind,
                        name=item["name"],
                        job=(
                            item.get("pipelineName")
                            or (item.get("targets") or [{}])[0].get("pipelineName", "")
                        ),
                        status=state["status"],
                        cron=item.get("cronSchedule"),
                        timezone=item.get("executionTimezone"),
                        last_tick_at=ticks[0]["timestamp"] if ticks else None,
                        last_tick_status=ticks[0]["status"] if ticks else None,
                        last_run_ids=ticks[0]["runIds"] if ticks else [],
                    )
                )
        return found

    def start_sensor(self, location: str, name: str) -> str:
        """Start a sensor (the daemon then ticks it); returns its new status."""
        selector = {"repositoryLocationName": location, "repositoryName": REPOSITORY}
        data = self._query(START_SENSOR, {"s": {**selector, "sensorName": name}})["startSensor"]
        if data.get("__typename") == "SensorNotFoundError":
            # The webserver may hold the location as it was before its code server (re)started,
            # e.g. loaded while the server was still loading: read it again, then ask once more.
            self.reload(location)
            data = self._query(START_SENSOR, {"s": {**selector, "sensorName": name}})["startSensor"]
        status = (data.get("sensorState") or {}).get("status")
        if status != "RUNNING":
            raise PlatformError(f"Dagster did not start sensor {name}: {data}")
        return str(status)

    def start_schedule(self, location: str, name: str) -> str:
        """Start a schedule (the daemon then fires it on its cron); returns its new status."""
        selector = {"repositoryLocationName": location, "repositoryName": REPOSITORY}
        data = self._query(START_SCHEDULE, {"s": {**selector, "scheduleName": name}})
        status = (data["startSchedule"].get("scheduleState") or {}).get("status")
        if status != "RUNNING":
            raise PlatformError(f"Dagster did not start schedule {name}: {data}")
        return str(status)

    def start_triggers(self, location: str) -> list[str]:
        """Start every stopped schedule and sensor of the location; returns their names."""
        started = []
        for t in self.triggers(location):
            if t.status == "RUNNING":
                continue
            if t.kind == "schedule":
                self.start_schedule(location, t.name)
            else:
                self.start_sensor(location, t.name)
            started.append(t.name)
        return started

    def stop_sensor(self, location: str, name: str) -> str:
        """Stop a sensor: the daemon ticks it no more; returns its new status."""
        selector = {"repositoryLocationName": location, "repositoryName": REPOSITORY}
        found = self._query(SENSOR_ID, {"s": {**selector, "sensorName": name}})["sensorOrError"]
        if found["__typename"] != "Sensor":
            raise PlatformError(f"Dagster has no sensor {name}: {found.get('message', '')}")
        data = self._query(STOP_SENSOR, {"id": found["id"]})["stopSensor"]
        status = (data.get("instigationState") or {}).get("status")
        if status != "STOPPED":
            raise PlatformError(f"Dagster did not stop sensor {name}: {data}")
        return str(status)

    def schedule_tick(self, location: str, name: str, timestamp: float) -> list[dict[str, Any]]:
        """Evaluate one tick of a schedule at ``timestamp`` (what the daemon would do then):
        the run requests it makes."""
        selector = {
            "repositoryLocationName": location,
            "repositoryName": REPOSITORY,
            "scheduleName": name,
        }
        data = self._query(SCHEDULE_DRY_RUN, {"s": selector, "t": timestamp})["scheduleDryRun"]
        result = data.get("evaluationResult") or {}
        if result.get("error"):
            raise PlatformError(f"schedule {name} failed to evaluate: {result['error']['message']}")
        return list(result.get("runRequests") or [])

    def job_runs(self, job: str) -> list[str]:
        """Ids of the job's runs, newest first."""
        data = self._query(RUNS_TAGGED, {"f": {"pipelineName": job}})
        return [r["runId"] for r in data["runsOrError"]["results"]]

    def delete_run(self, run_id: str) -> None:
        """Remove a finished run and its events from the instance."""
        data = self._query(DELETE_RUN, {"id": run_id})["deleteRun"]
        if data["__typename"] != "DeletePipelineRunSuccess":
            raise PlatformError(f"Dagster did not delete run {run_id}: {data}")

    def runs_tagged(self, key: str, value: str) -> list[str]:
        """Ids of the runs carrying a tag (e.g. dagster/sensor_name), newest first."""
        data = self._query(RUNS_TAGGED, {"f": {"tags": [{"key": key, "value": value}]}})
        return [r["runId"] for r in data["runsOrError"]["results"]]

    def wait(
        self, run_id: str, timeout: float = 900, on_poll: Callable[[RunResult], None] | None = None
    ) -> RunResult:
        start = time.monotonic()
        while True:
            result = self.run(run_id)
            if on_poll:
                on_poll(result)
            if result.status in TERMINAL:
                return result
            if time.monotonic() - start > timeout:
                raise PipelineError(
                    f"run {run_id} still {result.status} after {timeout:.0f}s",
                    hint=f"watch it in the Dagster UI: {self.url}/runs/{run_id}",
                )
            time.sleep(1)


def _run_id(result: dict[str, Any]) -> str:
    if result["__typename"] == "LaunchRunSuccess":
        return str(result["run"]["runId"])
    detail = result.get("message") or result.get("errors") or result["__typename"]
    raise PipelineError(f"Dagster refused the run: {detail}")
