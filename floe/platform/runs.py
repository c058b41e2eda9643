"""Running compiled products on a running platform, through the Dagster webserver."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from floe import artifact, config
from floe.artifact.io import ARTIFACT_FILE
from floe.artifact.models import CompiledArtifacts
from floe.errors import FloeError, PlatformError
from floe.observability.logging import get_logger
from floe.platform import code_servers
from floe.platform.dagster_client import DagsterClient, RunResult
from floe.platform.governance import check_manifest
from floe.platform.local import LocalPlatform
from floe.platform.settings import PlatformSettings
from floe.plugins.base import CatalogPlugin
from floe.plugins.registry import default_loader
from floe.runtime import deployment

CATALOG_ATTEMPTS = 4

log = get_logger(__name__)


def load_artifact(output_dir: Path, product: str) -> CompiledArtifacts:
    path = output_dir / product / ARTIFACT_FILE
    if not path.is_file():
        name = Path(product).name
        hint = (
            f"pass the product's name, not its folder: 'floe run {name}'"
            if name != product and (output_dir / name / ARTIFACT_FILE).is_file()
            else f"compile it first: 'floe compile <folder of {name}> --output-dir {output_dir}'"
        )
        raise FloeError(f"no compiled artifact for '{product}' in {output_dir}", hint=hint)
    return artifact.read(path)


def deployed_artifact(
    settings: PlatformSettings, env: str, product: str
) -> tuple[CompiledArtifacts, str]:
    """The artifact ``env`` serves for ``product``, and its code location."""
    from floe.platform import deployments
    from floe.platform.environments import ENVIRONMENTS

    if env not in ENVIRONMENTS:
        raise FloeError(
            f"'{env}' is not an environment", hint=f"use one of {', '.join(ENVIRONMENTS)}"
        )
    deployed = deployments.current(settings, env, product)
    if deployed is None:
        raise FloeError(
            f"'{product}' is not deployed in {env}",
            hint=f"promote it there first: 'floe promote {product} --to {env}'",
        )
    return artifact.read(Path(deployed.definitions).parent / ARTIFACT_FILE), deployed.location


def gold_rows(compiled: CompiledArtifacts, result: RunResult, env: str = "dev") -> dict[str, int]:
    """Rows written per gold table in a run; gold by the layer the compiler resolved, whatever
    the tables are called."""
    gold = {
        "/".join(deployment.key_path(compiled, t.table, env))
        for t in compiled.transforms
        if t.layer == "gold"
    }
    return {k.split("/")[-1]: v for k, v in sorted(result.row_counts.items()) if k in gold}


def _running_catalog(compiled: CompiledArtifacts) -> tuple[CatalogPlugin[Any], str]:
    """The product's catalog plugin pointed at the running platform's catalog URL."""
    cfg = dict(compiled.plugins.catalog.config)
    cfg["uri"] = config.catalog_uri(cfg["uri"])
    plugin = default_loader().create("catalog", compiled.plugins.catalog.type, cfg)
    return cast(CatalogPlugin[Any], plugin), cfg["uri"]


def check_catalog(compiled: CompiledArtifacts, progress: Callable[[str], None]) -> None:
    """The catalog must answer before a run starts; retry with back-off, then say so clearly.

    Each retry is also a log event: a spinner shows nothing when stderr is not a terminal, and an
    operator reading the log should see that the run waited for the catalog, and how long."""
    plugin, uri = _running_catalog(compiled)
    delay = 1.0
    for attempt in range(1, CATALOG_ATTEMPTS + 1):
        status = plugin.health_check()
        if status.healthy:
            if attempt > 1:
                log.info("catalog.available", uri=uri, attempt=attempt)
            return
        if attempt < CATALOG_ATTEMPTS:
            log.warning(
                "catalog.retry",
                uri=uri,
                attempt=attempt,
                attempts=CATALOG_ATTEMPTS,
                retry_in_s=delay,
                detail=status.detail,
            )
            progress(f"catalog not answering ({status.detail}); retry {attempt} in {delay:.0f}s")
            time.sleep(delay)
            delay *= 2
    raise PlatformError(
        f"the Iceberg REST catalog at {uri} is unavailable after {CATALOG_ATTEMPTS} "
        f"attempts ({status.detail}); no run was started",
        hint="check 'floe platform status' and start it with 'floe platform up'",
    )


def diagnose(compiled: CompiledArtifacts) -> list[str]:
    """After a failed run: name the platform service that is down or refusing writes."""
    plugin, uri = _running_catalog(compiled)
    status = plugin.health_check()
    if not status.healthy:
        return [
            f"the Iceberg REST catalog at {uri} is not answering ({status.detail}): tables "
            "were left at their last committed snapshot"
        ]
    refused = _storage_refuses_writes(compiled)
    if refused:
        return [
            f"storage is full: the bucket '{config.warehouse(compiled.lakehouse.warehouse)}' "
            "refuses writes "
            f"({refused}); tables were left at their last committed snapshot and nothing was "
            "lost. Free space in the bucket (or raise its quota), then run again"
        ]
    return []


def _storage_refuses_writes(compiled: CompiledArtifacts) -> str | None:
    """Write and remove one tiny object where the product's tables keep their data files (the
    warehouse bucket takes writes only there); the error if storage refuses it."""
    from floe.runtime.iceberg import open_catalog, probe_write, s3_filesystem

    catalog = open_catalog(compiled)
    for t in compiled.transforms:
        if catalog.table_exists(t.table):
            return probe_write(s3_filesystem(compiled), catalog.load_table(t.table).location())
    return None


def serve(
    settings: PlatformSettings,
    compiled: CompiledArtifacts,
    progress: Callable[[str], None],
    location: str | None = None,
    restart: bool = False,
    wait_for_daemon: bool = True,
) -> str:
    """Make the platform's Dagster serve ``compiled`` as ``location`` (its own by default):
    its code server restarted if it has not loaded this artifact yet (or ``restart``), the
    location reloaded, the daemon told of a new location (and waited for, unless
    ``wait_for_daemon`` is off: a run launched meanwhile waits in the queue). Returns the
    location."""
    location = location or compiled.orchestration.code_location
    client = DagsterClient(settings.url("dagster"))
    changed = restart or _changed_artifact(settings, location, compiled)
    platform = LocalPlatform(settings)
    if changed:
        progress(f"loading {location} into its code server")
    new_location = code_servers.ensure(settings, platform.secrets, location, restart=changed)
    # Dagster reads the location from its server again (cheap: the server does not reload
    # code), so a location that failed to load is caught here, not as "job not found".
    try:
        client.reload(location)
    except PlatformError as exc:
        if changed:
            raise  # a server that has just loaded this artifact cannot: the artifact is at fault
        progress(f"{location} did not load ({exc.message}); restarting its code server")
        code_servers.ensure(settings, platform.secrets, location, restart=True)
        client.reload(location)
    if changed:
        # Recorded only once the reload succeeded: a failed reload is tried again next time.
        record_loaded(settings, location, compiled)
    if new_location:
        # The daemon reads its workspace's locations at start; restarting it leaves runs
        # alone, since they belong to the code servers.
        progress("new code location: restarting dagster-daemon")
        platform.restart("dagster-daemon", wait=wait_for_daemon)
    return location


def launch(
    settings: PlatformSettings,
    compiled: CompiledArtifacts,
    progress: Callable[[str], None],
    job: str | None = None,
    run_config: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    location: str | None = None,
) -> str:
    """Launch the product's pipeline (or another of its jobs) on the platform's Dagster, from
    its own location or, for staging and prod, the deployment's ``location``."""
    check_manifest(compiled, settings.manifest_sha256, "floe run")
    check_catalog(compiled, progress)
    served = serve(settings, compiled, progress, location)
    return DagsterClient(settings.url("dagster")).launch(
        served, job or compiled.orchestration.job_name, run_config=run_config, tags=tags
    )


def _loaded_state(settings: PlatformSettings) -> tuple[Path, dict[str, str]]:
    import json

    state = settings.run_dir / "loaded-artifacts.json"
    return state, (json.loads(state.read_text()) if state.is_file() else {})


def _digest(compiled: CompiledArtifacts) -> str:
    import hashlib

    return hashlib.sha256(compiled.model_dump_json().encode()).hexdigest()


def _changed_artifact(
    settings: PlatformSettings, location: str, compiled: CompiledArtifacts
) -> bool:
    """Whether the location's code server has not loaded this artifact yet: loading restarts
    the server, which costs seconds."""
    _, loaded = _loaded_state(settings)
    return loaded.get(location) != _digest(compiled)


def record_loaded(settings: PlatformSettings, location: str, compiled: CompiledArtifacts) -> None:
    """The artifact the location's server runs now."""
    import json

    state, loaded = _loaded_state(settings)
    loaded[location] = _digest(compiled)
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps(loaded, indent=2, sort_keys=True))


def wait(
    settings: PlatformSettings, run_id: str, timeout: float, progress: Callable[[RunResult], None]
) -> RunResult:
    return DagsterClient(settings.url("dagster")).wait(run_id, timeout=timeout, on_poll=progress)


def reexecute_from_failure(
    settings: PlatformSettings,
    compiled: CompiledArtifacts,
    run_id: str,
    location: str | None = None,
) -> str:
    """Only the assets that failed (and what depended on them, skipped then) run again."""
    check_manifest(compiled, settings.manifest_sha256, "re-execution")
    client = DagsterClient(settings.url("dagster"))
    parent = client.run(run_id)
    if parent.status not in ("FAILURE", "CANCELED"):
        raise FloeError(
            f"run {run_id} is {parent.status}; only a failed run can be re-executed from failure",
            hint="pass the id of a failed run",
        )
    if not parent.failed_assets:
        raise FloeError(
            f"run {run_id} failed before planning any asset; nothing to resume",
            hint="start a new run with 'floe run PRODUCT'",
        )
    orch = compiled.orchestration
    return client.launch(
        location or orch.code_location, orch.job_name, parent.failed_assets, parent=parent
    )
