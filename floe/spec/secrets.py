"""Secret references in YAML and their resolved, never-printed values."""

from __future__ import annotations

import os

from pydantic import Field, SecretStr

from floe.errors import FloeError
from floe.spec.common import ENV_NAME_PATTERN
from floe.typedef import FloeModel


class SecretRef(FloeModel):
    """Where a secret lives; floe stores the reference, never the value."""

    env: str = Field(pattern=ENV_NAME_PATTERN, description="Environment variable that holds it.")

    def resolve(self) -> SecretStr:
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
        return "{{ env_var('" + self.env + "') }}"
