"""One multi-asset per product over its dbt manifest, parsed at compile time.

No ``from __future__ import annotations`` here: Dagster inspects the real context type.
"""

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    AssetsDefinition,
    Failure,
    Output,
    RetryRequested,
)
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from floe.artifact.models import CompiledArtifacts
from floe.plugins.base import ComputePlugin
from floe.plugins.registry import default_loader
from floe.runtime import deployment, observe, quality
from floe.runtime.iceberg import count_rows, open_catalog
from floe.runtime.translator import FloeTranslator

READ_BACK_ATTEMPTS = 3
COMMIT_RETRIES = 3
PARTIAL_PARSE = "partial_parse.msgpack"
KEPT_RUN_TARGETS = 10
COMMIT_CONFLICT = re.compile(r"\b409\b|CommitFailed|commit conflict|conflicting", re.IGNORECASE)


def build_dbt_assets(compiled: CompiledArtifacts, base: Path) -> AssetsDefinition:
    manifest = base / compiled.dbt.manifest
    tables = {tuple(deployment.key_path(compiled, t.table)): t.table for t in compiled.transforms}
    compute = compiled.plugins.compute
    engine = default_loader().create("compute", compute.type, compute.config)
    compute_env = cast(ComputePlugin[Any], engine).run_env()

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=FloeTranslator(compiled),
        name=f"{compiled.lakehouse.namespace}_dbt",
    )
    def _assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        catalog = open_catalog(compiled)
        observer = observe.current(context.run_id)
        # dagster-dbt hands dbt a copy of this process's environment.
        os.environ.update(compute_env)
        invocation = dbt.cli(["build"], context=context)
        quality.preload(compiled)
        dbt_errors: list[str] = []
        try:
            # Raw events rather than .stream(): node starts matter too (spans, lineage START).
            for raw in invocation.stream_raw_events():
                if raw.raw_event.get("info", {}).get("name") == "RunResultError":
                    dbt_errors.append(str(raw.raw_event["info"].get("msg", "")).strip())
                yield from _events(context, invocation, raw, catalog, tables, observer)
        except DagsterDbtCliRuntimeError as exc:
            # Another writer committed to the same table first (the catalog answered 409): the
            # build is idempotent, so it runs again on the new state. DuckDB does not retry.
            conflict = any(COMMIT_CONFLICT.search(e) for e in dbt_errors)
            if conflict and context.retry_number < COMMIT_RETRIES:
                context.log.warning(
                    f"a commit lost a race with another writer; retrying the dbt build "
                    f"({context.retry_number + 1}/{COMMIT_RETRIES})"
                )
                raise RetryRequested(
                    max_retries=COMMIT_RETRIES, seconds_to_wait=1 + context.retry_number
                ) from None
            # dbt's own words for each failed node, not the wrapper's "process failed".
            raise Failure(
                description="dbt build failed: "
                + (" | ".join(" ".join(e.split()) for e in dbt_errors) or str(exc).splitlines()[0])
            ) from None
        finally:
            keep_partial_parse(Path(invocation.target_path), Path(dbt.project_dir))
            prune_run_targets(Path(invocation.target_path))

    return _assets


def prune_run_targets(run_target: Path, keep: int = KEPT_RUN_TARGETS) -> list[Path]:
    """dagster-dbt writes each run's dbt output (compiled SQL, manifest, dbt.log: 2-3 MB) to a
    folder of its own beside the project's ``target/`` and never removes one; a product on a
    schedule filled the disk by that much a run. The newest ``keep`` stay for debugging."""
    pattern = re.compile(re.escape(run_target.name.rsplit("-", 2)[0]) + r"-[0-9a-f]{7}-[0-9a-f]{7}")
    try:
        runs = [p for p in run_target.parent.iterdir() if p.is_dir() and pattern.fullmatch(p.name)]
        runs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return []
    removed = [p for p in runs[keep:] if p != run_target]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)  # another run may be removing it too
    return removed


def keep_partial_parse(run_target: Path, project_dir: Path) -> None:
    """Hand this run's parse state to the next run. dagster-dbt gives every run a target folder
    of its own and seeds it from ``<project>/target/partial_parse.msgpack``, which nothing
    writes, so without this every run parses the whole project again (7 s of a 30 s run here).
    dbt itself checks the state against the files, profile and vars, and parses again what
    changed."""
    state = run_target / PARTIAL_PARSE
    if not state.is_file():
        return
    shared = project_dir / "target" / PARTIAL_PARSE
    try:
        shared.parent.mkdir(parents=True, exist_ok=True)
        staged = shared.with_name(f".{PARTIAL_PARSE}.{os.getpid()}")
        shutil.copyfile(state, staged)
        os.replace(staged, shared)  # runs of other products or environments read it meanwhile
    except OSError:
        pass  # only speed is lost: the next run parses the project in full


def _events(
    context: AssetExecutionContext,
    invocation: Any,
    raw: Any,
    catalog: Any,
    tables: dict[tuple[str, ...], str],
    observer: Any,
) -> Iterator[Any]:
    """Dagster's events for one dbt event, with what the catalog holds; observed as they go."""
    events = [
        _with_iceberg_metadata(context, event, catalog, tables)
        for event in raw.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=context,
            target_path=invocation.target_path,
            project=invocation.project,
        )
    ]
    observer.on_dbt_event(raw.raw_event, events)
    yield from events
    observer.on_materialized(_materialized(context, events, tables))


def _materialized(
    context: AssetExecutionContext, events: list[Any], tables: dict[tuple[str, ...], str]
) -> list[tuple[str, int | None]]:
    """(table, rows) for each asset Dagster has just recorded as materialized."""
    found = []
    for event in events:
        if isinstance(event, Output):
            key = context.asset_key_for_output(event.output_name)
        elif isinstance(event, AssetMaterialization):
            key = event.asset_key
        else:
            continue
        table = tables.get(tuple(key.path))
        if table is not None:
            rows = (event.metadata or {}).get("dagster/row_count")
            found.append((table, int(getattr(rows, "value", rows)) if rows is not None else None))
    return found


def _with_iceberg_metadata(
    context: AssetExecutionContext, event: Any, catalog: Any, tables: dict[tuple[str, ...], str]
) -> Any:
    """Row count and snapshot id read back from the catalog: what the table really holds."""
    if isinstance(event, Output):
        key = context.asset_key_for_output(event.output_name)
    elif isinstance(event, AssetMaterialization):
        key = event.asset_key
    else:
        return event
    table_id = tables.get(tuple(key.path))
    if table_id is None:
        return event
    metadata = _read_back(context, table_id, catalog)
    if metadata is None:
        return event
    return event.with_metadata({**(event.metadata or {}), **metadata})


def _read_back(
    context: AssetExecutionContext, table_id: str, catalog: Any
) -> dict[str, Any] | None:
    """The table as committed; a catalog hiccup here must not fail a step whose dbt commit has
    already landed: retried, then the event goes out without the read-back metadata."""
    for attempt in range(READ_BACK_ATTEMPTS):
        try:
            table = catalog.load_table(table_id)
            snapshot = table.current_snapshot()
            if snapshot is None:
                return None
            return {
                "dagster/row_count": count_rows(table, snapshot.snapshot_id),
                "iceberg/table": table_id,
                "iceberg/snapshot_id": str(snapshot.snapshot_id),
            }
        except Exception as exc:  # any catalog or storage error: the commit itself is done
            if attempt == READ_BACK_ATTEMPTS - 1:
                context.log.warning(
                    f"{table_id} was written, but reading it back failed "
                    f"({type(exc).__name__}: {exc}); its row count is not recorded"
                )
                return None
            time.sleep(0.5 * 2**attempt)
    return None
