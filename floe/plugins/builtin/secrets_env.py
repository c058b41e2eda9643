"""Secrets from environment variables (Kubernetes injects Secret objects the same way)."""

from __future__ import annotations

import os

from floe.errors import FloeError
from floe.plugins.base import EmptyConfig, HealthStatus, SecretsPlugin


class EnvSecretsPlugin(SecretsPlugin[EmptyConfig]):
    name = "env"

    def resolve(self, ref: str) -> str:
        if ref not in os.environ:
            raise FloeError(f"secret {ref} is not set", hint=f"export {ref}=...")
        return os.environ[ref]

    def health_check(self) -> HealthStatus:
        return HealthStatus(healthy=True, detail="reads the process environment")
