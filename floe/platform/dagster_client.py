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
        ... on IntMetadataEntry { intValue } } }
      ... on ExecutionStepFailureEvent { stepKey error { message } }
      ... on RunFailureEvent { message }
      ... on FailedToMaterializeEvent { assetKey { path } }
      ... on AssetMaterializationPlannedEvent { assetKey { path } }
      ... on AssetCheckEvaluationEvent { evaluation { checkName success assetKey { path }
        metadataEntries { label ... on IntMetadataEntry { intValue } } } }
    } } } } }"""


FAILURE_PREFIX = "dagster._core.definitions.events.Failure: "


class RunResult(FloeModel):
    """A finished (or watched) run, with what it materialized."""

    run_id: str
    status: str
    root_run_id: str | None = None
    seconds: float | None = None
    row_counts: dict[str, int] = Field(default_factory=dict)
    materialized: list[str] = Field(default_factory=list)
    failed_assets: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    checks: dict[str, bool] = Field(default_factory=dict, description="check name -> passed")
    check_rows: dict[str, int] = Field(default_factory=dict, description="rows a check saw")
    order: list[str] = Field(
        default_factory=list,
        description="materializations and checks, in event order ('check:<name>' for checks)",
    )


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

    def launch(
        self,
        location: str,
        job: str,
        assets: list[str] | None = None,
        parent: RunResult | None = None,
    ) -> str:
        """Launch ``job``; ``assets`` ('ns/table' keys) limits it to those assets, and
        ``parent`` records the run it re-executes."""
        selector: dict[str, Any] = {
            "repositoryLocationName": location,
            "repositoryName": REPOSITORY,
            "jobName": job,
        }
        params: dict[str, Any] = {"selector": selector, "runConfigData": {}}
        if assets is not None:
            selector["assetSelection"] = [{"path": key.split("/")} for key in assets]
        if parent is not None:
            root = parent.root_run_id or parent.run_id
            params["executionMetadata"] = {
                "parentRunId": parent.run_id,
                "rootRunId": root,
                "tags": [
                    {"key": "dagster/parent_run_id", "value": parent.run_id},
                    {"key": "dagster/root_run_id", "value": root},
                ],
            }
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
        materialized, failed, errors, order, planned = [], [], [], [], []
        checks: dict[str, bool] = {}
        check_rows: dict[str, int] = {}
        for ev in events:
            kind = ev["__typename"]
            if kind == "MaterializationEvent":
                key = "/".join(ev["assetKey"]["path"])
                materialized.append(key)
                order.append(key)
                for entry in ev["metadataEntries"]:
                    if entry["label"] == "dagster/row_count" and "intValue" in entry:
                        counts[key] = entry["intValue"]
            elif kind == "AssetCheckEvaluationEvent":
                name = ev["evaluation"]["checkName"]
                checks[name] = bool(ev["evaluation"]["success"])
                for entry in ev["evaluation"]["metadataEntries"]:
                    if entry["label"] == "element_count" and "intValue" in entry:
                        check_rows[name] = entry["intValue"]
                order.append(f"check:{name}")
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
            row_counts=counts,
            materialized=materialized,
            failed_assets=sorted(set(failed)),
            errors=errors,
            checks=checks,
            check_rows=check_rows,
            order=order,
        )

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
