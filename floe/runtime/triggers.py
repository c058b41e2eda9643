"""When a product runs without anyone typing `floe run`: its first run once the platform is
healthy (a sensor), then on its schedule, and its table maintenance on the same schedule.

Whether they start running when the product is served is the platform's choice
(FLOE_TRIGGERS); stopped, they stay registered and start from the Dagster UI or API.
"""

from __future__ import annotations

import json
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
LANDING_BUCKET = "staging"


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
        default_status=_status(),
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


def _status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if config.triggers_running() else DefaultSensorStatus.STOPPED


def landing_sensor(
    compiled: CompiledArtifacts, job: UnresolvedAssetJobDefinition
) -> SensorDefinition:
    """Starts a run when new input lands under the product's folder of the staging bucket
    (``s3://staging/<product>/``). Files there when the sensor first looks are not news: its
    cursor starts at the newest of them."""
    job_name = compiled.orchestration.job_name
    prefix = f"{LANDING_BUCKET}/{compiled.product.name}"

    @sensor(
        name=f"{job_name}_landing",
        job=job,
        minimum_interval_seconds=10,
        default_status=_status(),
        description=f"Starts a run when a file lands under s3://{prefix}/.",
    )
    def _landing(context: SensorEvaluationContext) -> RunRequest | SkipReason:
        from pyarrow import fs

        from floe.runtime.iceberg import s3_filesystem

        try:
            infos = s3_filesystem(compiled).get_file_info(
                fs.FileSelector(prefix, recursive=True, allow_not_found=True)
            )
        except OSError as exc:
            return SkipReason(f"s3://{prefix}/ cannot be listed: {' '.join(str(exc).split())}")
        files = sorted(
            (int(i.mtime.timestamp() * 1000) if i.mtime else 0, i.path)
            for i in infos
            if i.type == fs.FileType.File
        )
        if context.cursor is None:
            newest = list(files[-1]) if files else [0, ""]
            context.update_cursor(json.dumps(newest))
            return SkipReason(f"watching s3://{prefix}/ ({len(files)} file(s) there already)")
        seen = tuple(json.loads(context.cursor))
        new = [f for f in files if f > seen]
        if not new:
            return SkipReason(f"no new file under s3://{prefix}/")
        context.update_cursor(json.dumps(list(new[-1])))
        landed = [path.removeprefix(f"{prefix}/") for _, path in new]
        return RunRequest(
            run_key=f"landing:{new[-1][1]}@{new[-1][0]}",
            tags={"floe/trigger": "landing-file", "floe/landed": ",".join(landed)[:200]},
        )

    return _landing


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
