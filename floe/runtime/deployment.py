"""What differs when one artifact runs in several environments of one platform.

The same compiled product can be served in dev (the platform's workspace) and, once promoted,
in staging and prod. One Dagster serves them all, so a promoted deployment's asset keys start
with its environment (Dagster would otherwise take them for one asset), and its runs carry the
environment and the registry digest they ran, read back by whoever audits a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe import config
from floe.artifact.models import CompiledArtifacts

if TYPE_CHECKING:
    from dagster import AssetKey

ENVIRONMENT_TAG = "floe/environment"
DIGEST_TAG = "floe/artifact-digest"


def key_path(compiled: CompiledArtifacts, table: str, environment: str | None = None) -> list[str]:
    """``table`` is the artifact's ``namespace.name``."""
    env = environment or config.environment()
    prefix = [] if env == config.DEV else [env]
    return [*prefix, compiled.lakehouse.namespace, table.split(".", 1)[1]]


def asset_key(compiled: CompiledArtifacts, table: str) -> AssetKey:
    from dagster import AssetKey

    return AssetKey(key_path(compiled, table))


def run_tags() -> dict[str, str]:
    digest = config.artifact_digest()
    return {ENVIRONMENT_TAG: config.environment(), **({DIGEST_TAG: digest} if digest else {})}
