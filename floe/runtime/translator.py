"""Maps dbt nodes to Dagster asset keys and groups the way the artifact names their tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from floe.artifact.models import CompiledArtifacts
from floe.runtime import deployment


class FloeTranslator(DagsterDbtTranslator):
    """Asset key = [namespace, table], after the environment in staging and prod; group = the
    product (its namespace), so each product is one box in Dagster's global lineage; the
    medallion layer is a tag (and metadata) on each asset."""

    def __init__(self, artifacts: CompiledArtifacts) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self._by_id = {t.unique_id: t for t in artifacts.transforms}
        self._artifacts = artifacts
        self._namespace = artifacts.lakehouse.namespace

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        transform = self._by_id.get(dbt_resource_props["unique_id"])
        if transform is None:
            return super().get_asset_key(dbt_resource_props)
        return deployment.asset_key(self._artifacts, transform.table)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        transform = self._by_id.get(dbt_resource_props["unique_id"])
        return self._namespace if transform else None

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        transform = self._by_id.get(dbt_resource_props["unique_id"])
        if transform is not None:
            tags["layer"] = transform.layer
        return tags

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        transform = self._by_id.get(dbt_resource_props["unique_id"])
        if transform is None:
            return {}
        return {
            "iceberg_table": transform.table,
            "layer": transform.layer,
            "compute": transform.compute,
        }
