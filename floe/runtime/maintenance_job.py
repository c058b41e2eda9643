"""The product's maintenance job: retention, compaction, snapshot expiry and file cleanup of its
tables, each table's result recorded in Dagster as an observation of its asset.

No ``from __future__ import annotations`` here: Dagster inspects the real config type.
"""

from datetime import UTC, datetime, timedelta

from dagster import (
    AssetObservation,
    Config,
    JobDefinition,
    OpExecutionContext,
    in_process_executor,
    job,
    op,
)

from floe.artifact.models import CompiledArtifacts
from floe.runtime import deployment
from floe.runtime.maintenance import FILE_GRACE, maintain


class MaintenanceConfig(Config):
    file_grace_seconds: int = int(FILE_GRACE.total_seconds())
    """Files younger than this are never removed (a writer may be about to commit them)."""


def build_maintenance_job(compiled: CompiledArtifacts) -> JobDefinition:
    @op(name="maintain_tables")
    def maintain_tables(context: OpExecutionContext, config: MaintenanceConfig) -> None:
        grace = timedelta(seconds=config.file_grace_seconds)
        for result in maintain(compiled, datetime.now(UTC), grace):
            context.log_event(
                AssetObservation(
                    asset_key=deployment.asset_key(compiled, result.table),
                    metadata=result.metadata(),
                )
            )

    @job(
        name=f"{compiled.orchestration.job_name}_maintenance",
        executor_def=in_process_executor,
        description="Deletes rows past the retention window, drops files without a live row from "
        "the table, expires old snapshots and removes the files no kept snapshot references.",
    )
    def maintenance() -> None:
        maintain_tables()

    return maintenance
