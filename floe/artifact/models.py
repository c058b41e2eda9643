"""CompiledArtifacts: the one contract between the compiler and everything that runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from floe.spec.common import Metadata, QualityCheck, Schedule
from floe.typedef import ArtifactVersion, FloeModel, Layer


class ResolvedPlugin(FloeModel):
    """A plugin as the runtime will load it: entry-point name, version and validated config."""

    type: str
    version: str
    config: dict[str, Any] = Field(default_factory=dict)


class ResolvedPlugins(FloeModel):
    """One entry per plugin kind the product uses."""

    compute: ResolvedPlugin
    orchestrator: ResolvedPlugin
    dbt: ResolvedPlugin
    catalog: ResolvedPlugin
    storage: ResolvedPlugin
    secrets: ResolvedPlugin
    quality: ResolvedPlugin | None = None
    lineage: ResolvedPlugin | None = None
    telemetry: ResolvedPlugin | None = None


class Column(FloeModel):
    """A documented column of a model or seed."""

    name: str
    description: str = ""
    data_type: str | None = None


class Transform(FloeModel):
    """A dbt node that produces a table (a model or a seed)."""

    name: str
    unique_id: str
    resource_type: Literal["model", "seed"]
    layer: Layer
    materialized: str
    compute: str
    depends_on: list[str] = Field(default_factory=list, description="Names of upstream nodes.")
    columns: list[Column] = Field(default_factory=list)
    tests: list[str] = Field(default_factory=list, description="dbt tests attached to it.")
    quality: list[QualityCheck] = Field(default_factory=list)
    table: str = Field(description="Iceberg identifier namespace.table.")
    retention_column: str | None = Field(
        default=None, description="Rows whose value here is older than the retention expire."
    )
    partition_by: list[str] | None = Field(
        default=None,
        description="Iceberg partition transforms from the model's dbt config partition_by "
        "(e.g. day(ts)); [] asks for an unpartitioned table, none leaves the spec as it is.",
    )


class DbtSettings(FloeModel):
    """How the runtime finds and drives the product's dbt project."""

    project_name: str
    project_dir: str = Field(description="dbt project folder, relative to the artifact file.")
    profile_name: str
    target: str
    manifest: str = Field(description="dbt manifest.json parsed at compile time (relative).")
    profiles_dir: str = Field(description="Folder holding the generated profiles.yml (relative).")
    model_count: int
    seed_count: int
    test_count: int


class Orchestration(FloeModel):
    """What the orchestrator plugin generates for this product."""

    code_location: str
    job_name: str
    schedule: Schedule
    definitions_file: str


class Governance(FloeModel):
    """Governance after the product's tightening was applied."""

    model_name_pattern: str
    require_model_tests: bool
    max_retention_hours: int
    keep_snapshots: int = 10


class Lakehouse(FloeModel):
    """Where the product's tables live in the catalog."""

    namespace: str
    warehouse: str


class SourceHashes(FloeModel):
    """Content hashes of the inputs, so a reader can tell which sources produced this."""

    floe_yaml: str
    manifest_yaml: str
    dbt_project: str


class CompiledArtifacts(FloeModel):
    """Version 0.5.0 of the compiled contract. Deterministic: no timestamps, no absolute paths."""

    version: ArtifactVersion
    product: Metadata
    platform: Metadata
    sources: SourceHashes
    plugins: ResolvedPlugins
    lakehouse: Lakehouse
    dbt: DbtSettings
    orchestration: Orchestration
    governance: Governance
    transforms: list[Transform]

    def transform(self, name: str) -> Transform:
        """Look up one transform by dbt name."""
        for t in self.transforms:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def models(self) -> list[Transform]:
        """The dbt models only (seeds excluded)."""
        return [t for t in self.transforms if t.resource_type == "model"]
