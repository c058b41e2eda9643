"""The in-process executor, wrapped so the run's start and end are observed in the run itself.

The end of the executor's event stream is the one place inside the run worker that sees the
whole run finish (success or failure) before Dagster records it, so the pipeline-completion
lineage event, the metrics and the flushed trace are ready when the run is reported done.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dagster import ExecutorDefinition, executor
from dagster._core.execution.retries import RetryMode
from dagster._core.executor.in_process import InProcessExecutor

from floe.artifact.models import CompiledArtifacts
from floe.observability import tracing
from floe.runtime import observe


class ObservedInProcessExecutor(InProcessExecutor):
    def __init__(self, compiled: CompiledArtifacts) -> None:
        super().__init__(retries=RetryMode.ENABLED)
        self._compiled = compiled

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        run = plan_context.dagster_run
        traceparent = run.tags.get(tracing.TRACEPARENT_TAG)
        observer = observe.start_run(self._compiled, run.run_id, traceparent)
        failed_steps: list[str] = []
        success = False
        try:
            for event in super().execute(plan_context, execution_plan):
                if event.is_step_failure:
                    failed_steps.append(str(event.step_key))
                yield event
            success = not failed_steps
        finally:
            error = f"steps failed: {', '.join(failed_steps)}" if failed_steps else None
            observer.finish(success, error if not success else None)


def observed_executor(compiled: CompiledArtifacts) -> ExecutorDefinition:
    @executor(name="floe_in_process")
    def _floe_in_process(_init_context: Any) -> ObservedInProcessExecutor:
        return ObservedInProcessExecutor(compiled)

    return _floe_in_process
