"""Data-quality checks from floe.yaml, run by the quality plugin as Dagster asset checks on the
tables read back from the catalog."""

import threading
from collections.abc import Iterator
from typing import Any, cast

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSpec,
    multi_asset_check,
)

from floe.artifact.models import CompiledArtifacts
from floe.plugins.base import QualityPlugin
from floe.plugins.registry import default_loader
from floe.runtime import deployment, observe
from floe.runtime.iceberg import open_catalog

_preload_started = False


def preload(compiled: CompiledArtifacts) -> None:
    """Import the quality plugin's library on a background thread, once per process. Called
    once dbt's process is running: an import holds the interpreter lock, and started any earlier
    it held back the run's own start of dbt by seconds; now it overlaps dbt's build instead."""
    global _preload_started
    plugin = compiled.plugins.quality
    if plugin is None or _preload_started or not any(t.quality for t in compiled.transforms):
        return
    _preload_started = True
    loaded = default_loader().create("quality", plugin.type, plugin.config)
    quality = cast(QualityPlugin[Any], loaded)
    threading.Thread(target=quality.preload, name="floe-quality-preload", daemon=True).start()


def check_name(expectation: str, column: str | None) -> str:
    return f"{expectation}__{column}" if column else expectation


def build_quality_checks(compiled: CompiledArtifacts) -> list[AssetChecksDefinition]:
    plugin = compiled.plugins.quality
    if plugin is None:
        return []
    checked = [t for t in compiled.transforms if t.quality]
    if not checked:
        return []
    specs = [
        AssetCheckSpec(
            check_name(q.expectation, q.column),
            asset=deployment.asset_key(compiled, t.table),
            description=f"{plugin.type}: {q.expectation}",
        )
        for t in checked
        for q in t.quality
    ]

    @multi_asset_check(specs=specs, name=f"{compiled.lakehouse.namespace}_quality")
    def _quality(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        quality = cast(
            QualityPlugin[Any], default_loader().create("quality", plugin.type, plugin.config)
        )
        catalog = open_catalog(compiled)
        observer = observe.current(context.run.run_id)
        for t in checked:
            rows = catalog.load_table(t.table).scan().to_arrow()
            key = deployment.asset_key(compiled, t.table)
            results = quality.validate_rows(rows, t.quality)
            observer.on_checks(bool(r["success"]) for r in results)
            for result in results:
                yield AssetCheckResult(
                    asset_key=key,
                    check_name=check_name(result["expectation"], result["column"]),
                    passed=result["success"],
                    metadata={
                        "unexpected_count": result["unexpected_count"],
                        "element_count": result["element_count"],
                    },
                )

    return [_quality]
