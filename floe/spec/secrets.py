"""Secret references in YAML and their resolved, never-printed values."""

from __future__ import annotations

import os
from collections.abc import Callable

from pydantic import Field, SecretStr

from floe.errors import FloeError
from floe.spec.common import ENV_NAME_PATTERN
from floe.typedef import FloeModel

Resolver = Callable[[str], str]
_resolver: Resolver | None = None


def use_resolver(resolver: Resolver | None) -> None:
    """Resolve references through the configured secrets plugin from now on (None: read the
    process environment). The runtime installs the artifact's secrets plugin here."""
    global _resolver  # one secrets backend per process, chosen by the platform
    _resolver = resolver


class SecretRef(FloeModel):
    """Where a secret lives; floe stores the reference, never the value."""

    env: str = Field(
        pattern=ENV_NAME_PATTERN,
        description="Name of the secret: an environment variable, or the key the secrets "
        "plugin looks up (e.g. a file of a mounted Kubernetes Secret).",
    )

    def resolve(self) -> SecretStr:
        if _resolver is not None:
            return SecretStr(_resolver(self.env))
        value = os.environ.get(self.env)
        if value is None:
            raise FloeError(
                f"secret environment variable {self.env} is not set",
                hint=f"export {self.env}=... (the platform's env file sets it: "
                "'eval $(floe platform env)')",
            )
        return SecretStr(value)

    def dbt_env_var(self) -> str:
        """The same reference written for dbt's profiles.yml."""
        return dbt_env_var(self.env)


def dbt_env_var(name: str, default: str | None = None) -> str:
    """dbt's ``env_var()`` call as profiles.yml holds it, with an optional default."""
    if default is None:
        return "{{ env_var('" + name + "') }}"
    return "{{ env_var('" + name + "', '" + default + "') }}"
