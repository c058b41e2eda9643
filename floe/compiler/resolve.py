"""RESOLVE: plugins, platform defaults merged with the product's overrides, and the dbt graph.

Override rules (documented in docs/compilation.md):
- a product MAY override: compute (only to an engine in ``plugins.compute.approved``), the
  schedule, per-model tier/compute/quality checks;
- a product MAY ONLY TIGHTEN governance: ``require_model_tests`` can go false -> true, and
  ``max_retention_hours`` can only go down;
- a product MAY NOT touch catalog, storage, orchestrator, dbt, secrets or telemetry: floe.yaml
  has no such keys, and VALIDATE says so if they appear.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from floe.artifact.models import Column, Governance, ResolvedPlugin, Transform
from floe.compiler.validate import ValidatedInputs
from floe.errors import ResolveError
from floe.plugins.base import ComputePlugin, DBTPlugin, Plugin, PluginLoader
from floe.spec.common import Schedule
from floe.spec.floe_spec import ModelOverride
from floe.spec.loader import describe_errors
from floe.spec.manifest import PluginChoice
from floe.typedef import Layer

LAYERS: tuple[Layer, ...] = ("bronze", "silver", "gold")
CORE_KINDS = ("compute", "orchestrator", "dbt", "catalog", "storage", "secrets")
OPTIONAL_KINDS = ("quality", "lineage", "telemetry")


@dataclass
class ResolvedProduct:
    inputs: ValidatedInputs
    namespace: str
    plugins: dict[str, Plugin[Any]]
    resolved_plugins: dict[str, ResolvedPlugin]
    schedule: Schedule
    governance: Governance
    dbt_manifest: dict[str, Any]
    transforms: list[Transform]
    run_dir: Path = Path()
    macro_dirs: dict[str, Path] = field(default_factory=dict)
    project_config: dict[str, Any] = field(default_factory=dict)
    model_sql: dict[str, str] = field(default_factory=dict)
    test_count: int = 0

    def lay_out_run_project(self, run_dir: Path) -> None:
        """The same run project dbt compiled, in its final place."""
        dbt = cast(DBTPlugin[Any], self.plugins["dbt"])
        dbt.run_project(
            self.inputs.loaded.product_dir, run_dir, self.macro_dirs, self.project_config
        )

    def source_path(self, unique_id: str) -> str:
        """A node's file as the user knows it: relative to the product folder."""
        product_dir = self.inputs.loaded.product_dir
        return source_path(self.dbt_manifest, unique_id, self.run_dir, product_dir)


def source_path(manifest: dict[str, Any], unique_id: str, run_dir: Path, product_dir: Path) -> str:
    node = manifest["nodes"].get(unique_id, {})
    original = node.get("original_file_path")
    if not original:
        return unique_id
    # The run project reaches the product's folders through links: resolve them.
    full = os.path.realpath(run_dir / original)
    return os.path.relpath(full, product_dir.resolve())


def namespace_for(product: str) -> str:
    """Iceberg namespace of a product: its name with '-' -> '_' so SQL needs no quoting."""
    return product.replace("-", "_")


def resolve(inputs: ValidatedInputs, loader: PluginLoader, run_dir: Path) -> ResolvedProduct:
    """``run_dir`` receives the dbt project floe runs (the product's, plus engine macros)."""
    spec, manifest = inputs.spec, inputs.manifest
    choices: dict[str, PluginChoice | None] = {
        k: getattr(manifest.plugins, k) for k in CORE_KINDS + OPTIONAL_KINDS
    }
    compute_name = spec.compute or manifest.plugins.compute.type
    approved = manifest.plugins.compute.approved or [manifest.plugins.compute.type]
    plugins: dict[str, Plugin[Any]] = {}
    resolved: dict[str, ResolvedPlugin] = {}
    for kind, choice in choices.items():
        if choice is None or (kind == "compute" and compute_name not in approved):
            continue  # an unapproved engine is never loaded; ENFORCE reports it
        name = compute_name if kind == "compute" else choice.type
        # Config belongs to the platform's default engine; a swapped engine uses its defaults.
        cfg = choice.config if name == choice.type else {}
        try:
            plugin = loader.create(kind, name, cfg)
        except ValidationError as exc:
            problems = "; ".join(f"plugins.{kind}.config.{line}" for line in describe_errors(exc))
            raise ResolveError(
                f"manifest.yaml: {problems} (plugin '{name}')",
                hint=f"see 'floe plugins show {kind} {name}' for its settings and an example",
            ) from exc
        plugins[kind] = plugin
        resolved[kind] = ResolvedPlugin(
            type=name,
            version=_dist_version(plugin),
            config=plugin.config.model_dump(mode="json"),
        )

    gov = manifest.governance
    want = spec.governance
    governance = Governance(
        model_name_pattern=gov.model_name_pattern,
        require_model_tests=gov.require_model_tests or bool(want.require_model_tests),
        max_retention_hours=min(
            gov.max_retention_hours, want.max_retention_hours or gov.max_retention_hours
        ),
        keep_snapshots=min(gov.keep_snapshots, want.keep_snapshots or gov.keep_snapshots),
    )
    if want.require_model_tests is False and gov.require_model_tests:
        raise ResolveError(
            "floe.yaml: governance.require_model_tests cannot be turned off; "
            "the platform requires model tests",
            hint="remove governance.require_model_tests from floe.yaml",
        )
    if want.max_retention_hours and want.max_retention_hours > gov.max_retention_hours:
        raise ResolveError(
            f"floe.yaml: governance.max_retention_hours={want.max_retention_hours} is longer "
            f"than the platform's {gov.max_retention_hours}",
            hint=f"use a value of at most {gov.max_retention_hours}",
        )

    dbt = cast(DBTPlugin[Any], plugins["dbt"])
    compute = cast(ComputePlugin[Any] | None, plugins.get("compute"))
    macros = compute.dbt_macros() if compute is not None else None
    macro_dirs = {compute.name: macros} if compute and macros else {}
    project_config = compute.dbt_project_config() if compute is not None else {}
    dbt.run_project(inputs.loaded.product_dir, run_dir, macro_dirs, project_config)
    dbt_manifest = dbt.parse_project(run_dir)
    namespace = namespace_for(spec.metadata.name)
    overrides = {m.name: m for m in spec.models}
    transforms, sql, tests = _transforms(
        dbt_manifest, namespace, compute_name, overrides, run_dir, inputs.loaded.product_dir
    )
    unknown = sorted(set(overrides) - {t.name for t in transforms})
    if unknown:
        raise ResolveError(
            f"floe.yaml: models lists {', '.join(unknown)}, which the dbt project does not define",
            hint="fix the model name, or remove the entry",
        )
    return ResolvedProduct(
        inputs=inputs,
        namespace=namespace,
        plugins=plugins,
        resolved_plugins=resolved,
        schedule=spec.schedule or manifest.defaults.schedule,
        governance=governance,
        dbt_manifest=dbt_manifest,
        transforms=transforms,
        run_dir=run_dir,
        macro_dirs=macro_dirs,
        project_config=project_config,
        model_sql=sql,
        test_count=tests,
    )


def _partition_by(node: dict[str, Any]) -> list[str] | None:
    """dbt's ``partition_by`` config (dbt-spark reads the same key): one entry or a list.
    Entries that are not text are kept as JSON so the compiler can name them in its error."""
    raw = node.get("config", {}).get("partition_by")
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else [raw]
    return [i if isinstance(i, str) else json.dumps(i) for i in items]


def _dist_version(plugin: Plugin[Any]) -> str:
    module = type(plugin).__module__.split(".")[0]
    try:
        return version(module)
    except PackageNotFoundError:
        return type(plugin).version


def _layer(node: dict[str, Any], override: ModelOverride | None) -> Layer | None:
    if override and override.tier:
        return override.tier
    if node["resource_type"] == "seed":
        return "bronze"
    for part in node.get("fqn", [])[1:-1]:
        if part in LAYERS:
            return part  # type: ignore[no-any-return]
    return None


def _transforms(
    manifest: dict[str, Any],
    namespace: str,
    compute: str,
    overrides: dict[str, ModelOverride],
    run_dir: Path,
    product_dir: Path,
) -> tuple[list[Transform], dict[str, str], int]:
    nodes = manifest.get("nodes", {})
    names = {uid: n["name"] for uid, n in nodes.items()}
    tests_by_node: dict[str, list[str]] = {}
    test_count = 0
    for node in nodes.values():
        if node["resource_type"] != "test":
            continue
        test_count += 1
        for parent in node.get("depends_on", {}).get("nodes", []):
            tests_by_node.setdefault(parent, []).append(node["name"])
    transforms: list[Transform] = []
    sql: dict[str, str] = {}
    for uid, node in sorted(nodes.items()):
        if node["resource_type"] not in ("model", "seed"):
            continue
        override = overrides.get(node["name"])
        layer = _layer(node, override)
        if layer is None:
            raise ResolveError(
                f"dbt model '{node['name']}' ({source_path(manifest, uid, run_dir, product_dir)}) "
                "has no layer",
                hint="put it under models/bronze, models/silver or models/gold, "
                f"or set models[].tier for '{node['name']}' in floe.yaml",
            )
        columns = [
            Column(
                name=c["name"], description=c.get("description", ""), data_type=c.get("data_type")
            )
            for c in sorted(node.get("columns", {}).values(), key=lambda c: c["name"])
        ]
        transforms.append(
            Transform(
                name=node["name"],
                unique_id=uid,
                resource_type=node["resource_type"],
                layer=layer,
                materialized=node.get("config", {}).get("materialized", "seed"),
                compute=(override.compute if override and override.compute else compute),
                depends_on=sorted(
                    names[d] for d in node.get("depends_on", {}).get("nodes", []) if d in names
                ),
                columns=columns,
                tests=sorted(tests_by_node.get(uid, [])),
                quality=list(override.quality) if override else [],
                table=f"{namespace}.{node.get('alias') or node['name']}",
                retention_column=override.retention_column if override else None,
                partition_by=_partition_by(node),
            )
        )
        if node["resource_type"] == "model":
            sql[node["name"]] = node.get("compiled_code") or ""
    return transforms, sql, test_count
