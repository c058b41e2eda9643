"""Deploying a promoted artifact: the environment's code location serves exactly its bytes.

The bytes come from the environment's own registry repository, by digest, as the gates saw
them; nothing is rebuilt. Each digest keeps its folder, so a rollback serves the earlier one
again without pulling it twice.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from floe.observability.logging import get_logger
from floe.platform import deployments, environments, runs
from floe.platform.deployments import Deployment
from floe.platform.settings import PlatformSettings
from floe.promotion import package
from floe.promotion.oci import Registry

log = get_logger("floe.promotion")


def _unpacked(registry: Registry, repo: str, digest: str, target: Path) -> Path:
    if (target / package.ARTIFACT_FILE).is_file():
        return target
    with tempfile.TemporaryDirectory(prefix="floe-deploy-") as tmp:
        staged = package.pull(registry, repo, digest, Path(tmp))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged, target)
    return target


def deploy(
    settings: PlatformSettings,
    registry: Registry,
    env: str,
    product: str,
    version: str,
    digest: str,
    progress: Callable[[str], None] = lambda _: None,
) -> Deployment:
    """Serve ``digest`` as ``product``'s code location in ``env`` (staging or prod)."""
    folder = _unpacked(
        registry, f"{env}/{product}", digest, deployments.folder(settings, env, product, digest)
    )
    compiled = package.read(folder)
    deployment = Deployment(
        environment=env,
        product=product,
        version=version,
        digest=digest,
        location=environments.location(env, product),
        definitions=str(folder / compiled.orchestration.definitions_file),
    )
    deployments.record(settings, deployment)
    # Restarted even for an artifact it ran before: the digest it reports is part of its
    # environment, and that changed. Nothing runs yet, so the daemon is not waited for.
    runs.serve(
        settings, compiled, progress, deployment.location, restart=True, wait_for_daemon=False
    )
    log.info(
        "deployment.serving",
        product=product,
        environment=env,
        version=version,
        digest=digest,
        location=deployment.location,
    )
    return deployment
