"""ENFORCE: governance the platform team set, checked before anything can run."""

from __future__ import annotations

import csv
import io
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any, cast

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from floe.compiler.evolution import Baseline, breaking_changes, output_columns
from floe.compiler.resolve import ResolvedProduct
from floe.errors import GovernanceError
from floe.plugins.base import ComputePlugin, Plugin, PluginLoader


def enforce(
    product: ResolvedProduct, loader: PluginLoader, baseline: Baseline | None = None
) -> list[str]:
    """Collect every violation, then fail once with all of them; return the warnings.

    ``baseline``: the product's previous compile, against which breaking changes are refused.
    """
    violations: list[str] = compatibility_problems(product.plugins)
    warnings: list[str] = []
    substituted: dict[tuple[str, str, str], list[str]] = {}
    manifest = product.inputs.manifest
    approved = manifest.plugins.compute.approved or [manifest.plugins.compute.type]
    engines = {t.compute for t in product.transforms}
    for name in sorted(engines):
        if name not in approved:
            violations.append(
                f"compute '{name}' is not approved by the platform (approved: "
                f"{', '.join(approved)}). Fix: choose an approved engine in floe.yaml"
            )
    pattern = re.compile(product.governance.model_name_pattern)
    for t in product.transforms:
        if t.resource_type != "model":
            continue
        if not pattern.fullmatch(t.name):
            violations.append(
                f"model '{t.name}' does not match the naming rule "
                f"{product.governance.model_name_pattern}. Fix: rename it, e.g. {t.layer}_{t.name}"
            )
        if product.governance.require_model_tests and not t.tests:
            violations.append(
                f"model '{t.name}' has no dbt test. Fix: add a test in its schema.yml "
                "(e.g. not_null on its key)"
            )
    for t in product.transforms:
        if t.resource_type != "model" or t.compute not in approved:
            continue
        default = product.plugins.get("compute")
        engine = cast(
            ComputePlugin[Any],
            default
            if default and default.name == t.compute
            else loader.create("compute", t.compute),
        )
        substitute = engine.built_as.get(t.materialized)
        if t.materialized in engine.unsupported:
            violations.append(
                f"model '{t.name}' is materialized as '{t.materialized}', which compute "
                f"'{t.compute}' cannot build. Fix: {engine.unsupported[t.materialized]} "
                f"in {product.source_path(t.unique_id)} or dbt_project.yml"
            )
        elif substitute:
            substituted.setdefault((t.materialized, t.compute, substitute), []).append(t.name)
        # The SQL as dbt rendered it (dbt's own sandboxed Jinja, the project's macros).
        sql = product.model_sql.get(t.name, "")
        error = engine.sql_error(sql) if sql.strip() else None
        if error:
            violations.append(
                f"model '{t.name}' has SQL that does not parse for {t.compute}: {error}. "
                f"Fix: correct the SQL in {product.source_path(t.unique_id)}"
            )
    for (materialized, compute_name, substitute), names in sorted(substituted.items()):
        warnings.append(
            f"{len(names)} model(s) materialized as '{materialized}' ({', '.join(names)}): "
            f"compute '{compute_name}' cannot hold a {materialized} on Iceberg, so each is built "
            f"as a {substitute}. Set +materialized: {substitute} in dbt_project.yml to say so"
        )
    compute = product.plugins.get("compute")
    if isinstance(compute, ComputePlugin) and "snapshot" in compute.unsupported:
        for uid, node in sorted(product.dbt_manifest.get("nodes", {}).items()):
            if node.get("resource_type") == "snapshot":
                violations.append(
                    f"snapshot '{node['name']}' ({product.source_path(uid)}) cannot run on "
                    f"compute '{compute.name}'. Fix: {compute.unsupported['snapshot']}"
                )
    violations += _seed_problems(product)
    violations += _retention_problems(product)
    violations += _partition_problems(product)
    violations += _namespace_problems(product)
    if baseline is not None:
        compute = product.plugins.get("compute")
        violations += breaking_changes(
            baseline,
            product.inputs.spec.metadata.version,
            product.transforms,
            product.model_sql,
            compute.name if compute else "duckdb",
        )
    if violations:
        raise GovernanceError(violations)
    return warnings


def compatibility_problems(plugins: dict[str, Plugin[Any]]) -> list[str]:
    """Each plugin's declared needs: distributions in range, and the other plugins it works
    with. An incompatible pair is named from both sides so either can be changed."""
    problems = []
    for kind, plugin in sorted(plugins.items()):
        for dist, spec in sorted(plugin.requires.items()):
            try:
                installed = version(dist)
            except PackageNotFoundError:
                problems.append(
                    f"{kind} plugin '{plugin.name}' needs {dist}{spec}, which is not installed. "
                    f"Fix: pip install '{dist}{spec}'"
                )
                continue
            try:
                ok = SpecifierSet(spec).contains(installed, prereleases=True)
            except InvalidSpecifier:
                ok = False
            if not ok:
                problems.append(
                    f"{kind} plugin '{plugin.name}' needs {dist}{spec}, but {installed} is "
                    f"installed. Fix: pip install '{dist}{spec}'"
                )
        for other_kind, names in sorted(plugin.compatible_with.items()):
            other = plugins.get(other_kind)
            if other is not None and other.name not in names:
                problems.append(
                    f"{kind} plugin '{plugin.name}' does not work with {other_kind} plugin "
                    f"'{other.name}' (it works with: {', '.join(sorted(names))}). Fix: choose "
                    f"a compatible {other_kind} in manifest.yaml, or another {kind}"
                )
    return problems


def _seed_problems(product: ResolvedProduct) -> list[str]:
    """A malformed seed must stop here, not halfway through a pipeline run."""
    problems = []
    root = product.inputs.loaded.product_dir
    for t in product.transforms:
        if t.resource_type != "seed":
            continue
        rel = product.source_path(t.unique_id)
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(
                f"seed '{t.name}' ({rel}) cannot be read: {type(exc).__name__}. "
                "Fix: save it as UTF-8 CSV"
            )
            continue
        rows = list(csv.reader(io.StringIO(text)))
        if not rows or not any(rows[0]):
            problems.append(
                f"seed '{t.name}' ({rel}) has no header row. Fix: put the column names on line 1"
            )
            continue
        header = rows[0]
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            problems.append(
                f"seed '{t.name}' ({rel}) repeats the column(s) {', '.join(dupes)}. "
                "Fix: give every column a unique name"
            )
        for line, row in enumerate(rows[1:], start=2):
            if row and len(row) != len(header):
                problems.append(
                    f"seed '{t.name}' ({rel}) line {line}: expected {len(header)} fields, "
                    f"found {len(row)}. Fix: quote values that contain commas, or complete "
                    "the row"
                )
                break
    return problems


def _retention_problems(product: ResolvedProduct) -> list[str]:
    """A retention column must be a column the model produces (its select list, or its
    documented columns when the select list has a ``*``)."""
    problems = []
    compute = product.plugins.get("compute")
    for t in product.transforms:
        if t.retention_column is None:
            continue
        dialect = compute.name if compute else "duckdb"
        known = output_columns(product.model_sql.get(t.name, ""), dialect)
        known = known if known is not None else [c.name.lower() for c in t.columns]
        if t.retention_column.lower() not in known:
            problems.append(
                f"floe.yaml: models[{t.name}].retention_column '{t.retention_column}' is not a "
                f"column of the model (it has: {', '.join(known) or 'no known columns'}). "
                "Fix: name one of its timestamp columns"
            )
    return problems


# Iceberg's partition transforms in the form DuckDB's SET PARTITIONED BY takes them.
_PARTITION = re.compile(
    r"(?:(?:year|month|day|hour|identity)\(\s*(?P<time>\w+)\s*\)"
    r"|(?:bucket|truncate)\(\s*\d+\s*,\s*(?P<n>\w+)\s*\)"
    r"|(?P<col>\w+))",
    re.IGNORECASE,
)


def _partition_problems(product: ResolvedProduct) -> list[str]:
    """Each partition_by entry must be an Iceberg transform of a column the model produces."""
    problems = []
    compute = product.plugins.get("compute")
    dialect = compute.name if compute else "duckdb"
    for t in product.transforms:
        if not t.partition_by:
            continue
        where = f"model '{t.name}' ({product.source_path(t.unique_id)})"
        engine = cast(
            ComputePlugin[Any] | None, compute if compute and compute.name == t.compute else None
        )
        allowed = engine.partition_by_strategies if engine is not None else None
        config = product.dbt_manifest.get("nodes", {}).get(t.unique_id, {}).get("config", {})
        # dbt-duckdb's delete+insert without a unique_key only inserts
        strategy = config.get("incremental_strategy") or (
            "delete+insert" if config.get("unique_key") else "append"
        )
        if allowed is not None and (t.materialized != "incremental" or strategy not in allowed):
            problems.append(
                f"{where}: partition_by needs materialized='incremental' with "
                f"incremental_strategy in ({', '.join(sorted(allowed))}) on compute "
                f"'{t.compute}', which cannot rewrite a table whose files span partition specs. "
                "Fix: make the model an appending incremental model, or leave partition_by out"
            )
            continue
        known = output_columns(product.model_sql.get(t.name, ""), dialect)
        known = known if known is not None else [c.name.lower() for c in t.columns]
        for entry in t.partition_by:
            match = _PARTITION.fullmatch(entry.strip())
            if match is None:
                problems.append(
                    f"{where}: partition_by entry '{entry}' is not an Iceberg partition "
                    "transform. Fix: use a column, year(col), month(col), day(col), hour(col), "
                    "bucket(N, col) or truncate(N, col)"
                )
                continue
            column = next(g for g in match.groups() if g)
            if known and column.lower() not in known:
                problems.append(
                    f"{where}: partition_by entry '{entry}' names '{column}', which is not a "
                    f"column of the model (it has: {', '.join(known)}). Fix: partition by one "
                    "of its columns"
                )
    return problems


def _namespace_problems(product: ResolvedProduct) -> list[str]:
    """A product writes only its own namespace: a model or seed whose schema dbt resolved to
    another (a `schema` config with an overridden generate_schema_name, say) is refused."""
    problems: list[str] = []
    default = getattr(product.plugins.get("dbt"), "parse_schema", None)
    if default is None:
        return problems
    for uid, node in sorted(product.dbt_manifest.get("nodes", {}).items()):
        if node.get("resource_type") not in ("model", "seed"):
            continue
        schema = node.get("schema")
        if schema != default or node.get("config", {}).get("schema"):
            asked = node.get("config", {}).get("schema") or schema
            owner = product.inputs.spec.metadata.name
            problems.append(
                f"{node['resource_type']} '{node['name']}' ({product.source_path(uid)}) asks for "
                f"schema '{asked}', but product '{owner}' owns only '{product.namespace}'. Fix: "
                "remove its schema config (and any generate_schema_name override) so it writes "
                "to the product's namespace"
            )
    return problems
