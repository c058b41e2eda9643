"""Secrets from a mounted Kubernetes Secret: one file per key under a folder.

The chart mounts the platform's Secret objects read-only into every pod that needs them, so no
credential is ever an environment literal in a pod spec; a reference ``{env: NAME}`` in the
manifest reads the file ``<mount_dir>/NAME``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from floe.errors import FloeError
from floe.plugins.base import HealthStatus, SecretsPlugin
from floe.typedef import FloeModel


class MountedSecretsConfig(FloeModel):
    mount_dir: str = Field(
        default="/var/run/secrets/floe",
        description="Folder where the Secret's keys are mounted as files.",
    )


class KubernetesSecretsPlugin(SecretsPlugin[MountedSecretsConfig]):
    name = "kubernetes"
    config_model = MountedSecretsConfig
    example_config: ClassVar[Mapping[str, Any]] = {"mount_dir": "/var/run/secrets/floe"}

    def resolve(self, ref: str) -> str:
        path = Path(self.config.mount_dir) / ref
        try:
            value = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FloeError(
                f"secret {ref} is not mounted (no file {ref} in {self.config.mount_dir})",
                hint=f"add the key {ref} to the platform's Secret and mount it at "
                f"{self.config.mount_dir}",
            ) from None
        except OSError as exc:
            raise FloeError(
                f"secret {ref} cannot be read from {self.config.mount_dir}: {type(exc).__name__}",
                hint="check the mount's permissions (the pod's user must read it)",
            ) from None
        # kubectl and most editors end a file with a newline that is not part of the secret.
        return value.removesuffix("\n")

    def health_check(self) -> HealthStatus:
        folder = Path(self.config.mount_dir)
        if not folder.is_dir():
            return HealthStatus(healthy=False, detail=f"{folder} is not mounted")
        keys = sorted(
            p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
        )
        return HealthStatus(healthy=True, detail=f"{len(keys)} key(s) mounted at {folder}")
