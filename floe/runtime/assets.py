"""One multi-asset per product over its dbt manifest, parsed at compile time.

No ``from __future__ import annotations`` here: Dagster inspects the real context type.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from floe.artifact.models import CompiledArtifacts
from floe.runtime.translator import FloeTranslator


def build_dbt_assets(compiled: CompiledArtifacts, base: Path) -> AssetsDefinition:
    manifest = base / compiled.dbt.manifest

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=FloeTranslator(compiled),
        name=f"{compiled.lakehouse.namespace}_dbt",
    )
    def _assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from dbt.cli(["build"], context=context).stream()

    return _assets
