"""floe.yaml: what a data engineer declares about one data product."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from floe.spec.common import Metadata, QualityCheck, Schedule
from floe.typedef import FloeModel, Layer


class ModelOverride(FloeModel):
    """Per-model settings that differ from what the dbt project says."""

    name: str = Field(description="dbt model name, as in models/**/<name>.sql.")
    tier: Layer | None = Field(default=None, description="bronze, silver or gold.")
    compute: str | None = Field(default=None, description="Compute plugin for this model only.")
    quality: list[QualityCheck] = Field(default_factory=list, description="Checks on its table.")
    retention_column: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Timestamp column whose age expires a row: maintenance deletes rows older "
        "than governance.max_retention_hours.",
    )


class GovernanceOverride(FloeModel):
    """Governance a product may tighten but never loosen."""

    require_model_tests: bool | None = Field(
        default=None, description="Every model must carry at least one dbt test."
    )
    max_retention_hours: int | None = Field(
        default=None, gt=0, description="Rows older than this are deleted (at most the manifest's)."
    )
    keep_snapshots: int | None = Field(
        default=None, ge=1, description="Snapshots each table keeps (at most the manifest's)."
    )


class PlatformRef(FloeModel):
    """Which platform manifest this product is compiled against."""

    manifest: str = Field(
        default="../manifest.yaml",
        description="Path to manifest.yaml, relative to floe.yaml, or the manifest the platform "
        "published: oci://HOST/platform/NAME:VERSION (or @sha256:DIGEST).",
    )


class FloeSpec(FloeModel):
    """The root of floe.yaml. It sits at the root of the product's dbt project."""

    api_version: Literal["floe.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["FloeSpec"]
    metadata: Metadata
    platform: PlatformRef = Field(default_factory=PlatformRef)
    compute: str | None = Field(
        default=None, description="Compute plugin; must be approved in manifest.yaml."
    )
    schedule: Schedule | None = Field(default=None, description="Overrides the manifest default.")
    models: list[ModelOverride] = Field(default_factory=list)
    governance: GovernanceOverride = Field(default_factory=GovernanceOverride)
