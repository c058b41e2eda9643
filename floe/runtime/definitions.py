"""Builds one product's Dagster Definitions from its compiled artifact (pure wiring)."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job

from floe import artifact, config
from floe.platform.governance import check_manifest
from floe.runtime import deployment, triggers
from floe.runtime.assets import build_dbt_assets
from floe.runtime.executor import observed_executor
from floe.runtime.maintenance_job import build_maintenance_job
from floe.runtime.quality import build_quality_checks
from floe.runtime.resources import dbt_resource
from floe.runtime.secrets import install_secrets


def build_definitions(artifact_file: Path) -> Definitions:
    compiled = artifact.read(artifact_file)
    # Set by the platform for its Dagster processes: a code location compiled against another
    # manifest does not load, so nothing of it can run from the UI either.
    check_manifest(compiled, config.platform_manifest_sha256(), "the code location")
    # Secrets come from the platform's secrets plugin, for floe and for dbt alike.
    install_secrets(compiled)
    base = artifact_file.parent
    assets = build_dbt_assets(compiled, base)
    # One process per run, not per step: the dbt step and the quality step share the imports.
    # The same executor serves runs started from the Dagster UI, so every run is observed.
    run_executor = observed_executor(compiled)
    job = define_asset_job(
        compiled.orchestration.job_name,
        selection=AssetSelection.all(),
        executor_def=run_executor,
        tags=deployment.run_tags(),
    )
    maintenance = build_maintenance_job(compiled)
    return Definitions(
        assets=[assets],
        asset_checks=build_quality_checks(compiled),
        jobs=[job, maintenance],
        schedules=triggers.schedules(compiled, job, maintenance),
        sensors=[triggers.first_run_sensor(compiled, job), triggers.landing_sensor(compiled, job)],
        resources={"dbt": dbt_resource(compiled, base)},
        executor=run_executor,
    )
