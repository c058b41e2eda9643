"""When a product runs without anyone typing `floe run`: its first run once the platform is
healthy (a sensor), then on its schedule, and its table maintenance on the same schedule.

Whether they start running when the product is served is the platform's choice
(FLOE_TRIGGERS); stopped, they stay registered and start from the Dagster UI or API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from floe import config

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )
from floe.artifact.models import CompiledArtifacts
from floe.plugins.registry import default_loader

FIRST_RUN_KEY = "first-run"


def _platform_health(compiled: CompiledArtifacts) -> list[str]:
    """What is not healthy yet among the services a run needs (catalog, storage)."""
    loader = default_loader()
    problems = []
    for kind in ("catalog", "storage"):
        choice = getattr(compiled.plugins, kind)
        plugin = loader.create(kind, choice.type, choice.config)
        status = plugin.health_check()
        if not status.healthy:
            problems.append(f"{kind} {choice.type}: {status.detail}")
    return problems


def first_run_sensor(
    compiled: CompiledArtifacts, job: UnresolvedAssetJobDefinition
) -> SensorDefinition:
    """Fires the product's first run once, as soon as the services it needs are healthy."""
    job_name = compiled.orchestration.job_name

    @sensor(
        name=f"{job_name}_first_run",
        job=job,
        minimum_interval_seconds=10,
        default_status=DefaultSensorStatus.RUNNING
        if config.triggers_running()
        else DefaultSensorStatus.STOPPED,
        description="Starts the product's first run once the catalog and storage are healthy.",
    )
    def _first_run(context: SensorEvaluationContext) -> RunRequest | SkipReason:
        if context.instance.get_runs(RunsFilter(job_name=job_name), limit=1):
            return SkipReason(f"{job_name} has run already")
        problems = _platform_health(compiled)
        if problems:
            return SkipReason("waiting for a healthy platform: " + "; ".join(problems))
        return RunRequest(run_key=FIRST_RUN_KEY, tags={"floe/trigger": "platform-healthy"})

    return _first_run


def schedules(
    compiled: CompiledArtifacts, job: UnresolvedAssetJobDefinition, maintenance: JobDefinition
) -> list[ScheduleDefinition]:
    """The product's recurring run and its table maintenance, on the product's cron."""
    sched = compiled.orchestration.schedule
    if not sched.enabled:
        return []
    status = (
        DefaultScheduleStatus.RUNNING
        if config.triggers_running()
        else DefaultScheduleStatus.STOPPED
    )
    return [
        ScheduleDefinition(
            name=f"{target.name}_schedule",
            job=target,
            cron_schedule=sched.cron,
            execution_timezone=sched.timezone,
            default_status=status,
        )
        for target in (job, maintenance)
    ]
