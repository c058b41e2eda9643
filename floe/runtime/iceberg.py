"""The product's Iceberg catalog, opened from its artifact through the catalog and storage
plugins, with the running platform's endpoints taking precedence over the manifest's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from floe import config
from floe.artifact.models import CompiledArtifacts
from floe.plugins.base import CatalogPlugin, StoragePlugin
from floe.plugins.registry import default_loader

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.table.snapshots import Snapshot


def catalog_properties(compiled: CompiledArtifacts) -> dict[str, str]:
    loader = default_loader()
    cat = cast(
        CatalogPlugin[Any],
        loader.create("catalog", compiled.plugins.catalog.type, compiled.plugins.catalog.config),
    )
    sto = cast(
        StoragePlugin[Any],
        loader.create("storage", compiled.plugins.storage.type, compiled.plugins.storage.config),
    )
    props = {**cat.connection_properties(), **sto.s3_properties()}
    props["uri"] = config.catalog_uri(props["uri"])
    props["s3.endpoint"] = config.s3_endpoint(props["s3.endpoint"])
    return props


def open_catalog(compiled: CompiledArtifacts) -> Catalog:
    from pyiceberg.catalog import load_catalog

    return load_catalog(compiled.product.name, **catalog_properties(compiled))


def summary_count(summary: Mapping[str, str], *keys: str) -> int:
    return sum(int(summary.get(k, 0)) for k in keys)


def live_rows(snapshot: Snapshot | None) -> int:
    """Rows a reader sees at ``snapshot``, from its summary (no scan): the data files' records
    less position and equality deletes (DuckDB deletes with position-delete files)."""
    if snapshot is None or snapshot.summary is None:
        return 0
    extra = snapshot.summary.additional_properties
    return summary_count(extra, "total-records") - summary_count(
        extra, "total-position-deletes", "total-equality-deletes"
    )
