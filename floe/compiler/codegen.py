"""COMPILE: turn the resolved product into the artifact and the text of every generated file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import yaml

from floe.artifact.io import ARTIFACT_FILE, canonical_json
from floe.artifact.models import (
    CompiledArtifacts,
    DbtSettings,
    Lakehouse,
    Orchestration,
    ResolvedPlugins,
    SourceHashes,
)
from floe.compiler.resolve import ResolvedProduct
from floe.plugins.base import CatalogPlugin, ComputePlugin, OrchestratorPlugin, StoragePlugin
from floe.plugins.builtin.dbt_core import project_hash
from floe.typedef import ARTIFACT_VERSION

PROFILES_FILE = "profiles.yml"
DEFINITIONS_FILE = "definitions.py"
DBT_MANIFEST_FILE = "dbt_manifest.json"
TARGET = "floe"


@dataclass(frozen=True)
class CompiledProduct:
    """Everything GENERATE writes for one product: file name -> text, plus the artifact."""

    name: str
    artifacts: CompiledArtifacts
    files: dict[str, str]


def profile_name(namespace: str) -> str:
    return f"floe_{namespace}"


def compile_product(product: ResolvedProduct, project_dir_rel: str) -> CompiledProduct:
    spec, manifest = product.inputs.spec, product.inputs.manifest
    compute = cast(ComputePlugin[Any], product.plugins["compute"])
    catalog = cast(CatalogPlugin[Any], product.plugins["catalog"])
    storage = cast(StoragePlugin[Any], product.plugins["storage"])
    orchestrator = cast(OrchestratorPlugin[Any], product.plugins["orchestrator"])
    name = spec.metadata.name
    profile = profile_name(product.namespace)
    output = compute.dbt_output(catalog=catalog, storage=storage, namespace=product.namespace)
    profiles_text = yaml.safe_dump(
        {profile: {"target": TARGET, "outputs": {TARGET: output}}}, sort_keys=True
    )
    nodes = product.dbt_manifest["nodes"]
    artifacts = CompiledArtifacts(
        version=ARTIFACT_VERSION,
        product=spec.metadata,
        platform=manifest.metadata,
        sources=SourceHashes(
            floe_yaml=product.inputs.loaded.spec_sha256,
            manifest_yaml=product.inputs.loaded.manifest_sha256,
            dbt_project=project_hash(product.inputs.loaded.product_dir),
        ),
        plugins=ResolvedPlugins(**product.resolved_plugins),
        lakehouse=Lakehouse(namespace=product.namespace, warehouse=catalog.warehouse()),
        dbt=DbtSettings(
            project_name=str(product.dbt_manifest["metadata"].get("project_name", name)),
            project_dir=project_dir_rel,
            profile_name=profile,
            target=TARGET,
            manifest=DBT_MANIFEST_FILE,
            profiles_dir=".",
            model_count=sum(1 for n in nodes.values() if n["resource_type"] == "model"),
            seed_count=sum(1 for n in nodes.values() if n["resource_type"] == "seed"),
            test_count=product.test_count,
        ),
        orchestration=Orchestration(
            code_location=name,
            job_name=f"{product.namespace}_pipeline",
            schedule=product.schedule,
            definitions_file=DEFINITIONS_FILE,
        ),
        governance=product.governance,
        transforms=product.transforms,
    )
    files = {
        ARTIFACT_FILE: canonical_json(artifacts.model_dump(mode="json", by_alias=True)),
        PROFILES_FILE: profiles_text,
        DEFINITIONS_FILE: orchestrator.render_definitions(name, ARTIFACT_FILE),
        DBT_MANIFEST_FILE: canonical_json(product.dbt_manifest),
    }
    return CompiledProduct(name=name, artifacts=artifacts, files=files)
