"""manifest.yaml: what the platform team decides for every product."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from floe.spec.common import Metadata, Schedule
from floe.typedef import FloeModel


class PluginChoice(FloeModel):
    """One plugin selected by the platform, with its non-secret config and secret references."""

    type: str = Field(description="Entry-point name of the plugin, e.g. 'duckdb'.")
    config: dict[str, Any] = Field(default_factory=dict, description="Plugin settings.")


class ComputeChoice(PluginChoice):
    """The default compute engine plus the ones a product may switch to."""

    approved: list[str] = Field(default_factory=list, description="Engines products may select.")

    @model_validator(mode="after")
    def _default_is_approved(self) -> ComputeChoice:
        if self.approved and self.type not in self.approved:
            raise ValueError(f"default compute '{self.type}' must be listed in 'approved'")
        return self


class PluginSelection(FloeModel):
    """The platform's plugins. Products may only change compute (among the approved ones)."""

    compute: ComputeChoice
    orchestrator: PluginChoice
    dbt: PluginChoice
    catalog: PluginChoice
    storage: PluginChoice
    secrets: PluginChoice = Field(default_factory=lambda: PluginChoice(type="env"))
    quality: PluginChoice | None = None
    lineage: PluginChoice | None = None
    telemetry: PluginChoice | None = None
    identity: PluginChoice | None = None
    rbac: PluginChoice | None = None
    network_security: PluginChoice | None = None
    ingestion: PluginChoice | None = None
    semantic_layer: PluginChoice | None = None


class Governance(FloeModel):
    """Rules ENFORCE checks on every product."""

    model_name_pattern: str = Field(
        default=r"^(bronze|silver|gold)_[a-z0-9_]+$",
        description="Regular expression every dbt model name must match.",
    )
    require_model_tests: bool = Field(default=True)

    @field_validator("model_name_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(
                f"not a valid regular expression ({exc}); e.g. ^(bronze|silver|gold)_[a-z0-9_]+$"
            ) from None
        return value

    max_retention_hours: int = Field(
        default=1, gt=0, description="Rows older than this are deleted by maintenance."
    )
    keep_snapshots: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Snapshots each table keeps; older ones are expired by maintenance and the "
        "files no kept snapshot references are removed from the bucket.",
    )


class Defaults(FloeModel):
    """Values a product inherits unless its floe.yaml says otherwise."""

    schedule: Schedule = Field(default_factory=Schedule)


class PlatformManifest(FloeModel):
    """The root of manifest.yaml."""

    api_version: Literal["floe.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["PlatformManifest"]
    metadata: Metadata
    plugins: PluginSelection
    governance: Governance = Field(default_factory=Governance)
    defaults: Defaults = Field(default_factory=Defaults)
