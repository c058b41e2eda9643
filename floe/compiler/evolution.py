"""Breaking changes to a product's tables, refused at compile time (part of ENFORCE).

Readers depend on a table's columns and their types. Dropping a column or changing its type
breaks them; adding a column does not (Iceberg adds it in place, old rows read null). The
product's previous compile in the same output folder is the baseline: its artifact (documented
column types) and its dbt manifest (the SQL dbt rendered, whose select list gives the columns
the table really has). A product that means to break its readers says so by raising the major
of metadata.version, the semver contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe.artifact.models import CompiledArtifacts, Transform


@dataclass(frozen=True)
class Baseline:
    version: str
    transforms: dict[str, Transform]
    model_sql: dict[str, str]


def output_columns(sql: str, dialect: str) -> list[str] | None:
    """The column names a SELECT produces, or None when they cannot be known from the SQL alone
    (``*``, an unnamed expression, SQL that does not parse)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except (sqlglot.errors.ParseError, ValueError):  # ValueError: a dialect sqlglot lacks
        return None
    while isinstance(tree, exp.Subquery | exp.With):
        tree = tree.this
    if isinstance(tree, exp.SetOperation):
        tree = tree.left
    if not isinstance(tree, exp.Select):
        return None
    names = []
    for projection in tree.selects:
        name = projection.alias_or_name
        if isinstance(projection, exp.Star) or name in ("", "*"):
            return None
        names.append(name.lower())
    return names


def load_baseline(product_dir: Path) -> Baseline | None:
    """The product's previous compile in this output folder, if any."""
    artifact = product_dir / "compiled_artifacts.json"
    manifest = product_dir / "dbt_manifest.json"
    if not artifact.is_file() or not manifest.is_file():
        return None
    compiled = CompiledArtifacts.model_validate_json(artifact.read_text(encoding="utf-8"))
    nodes: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8")).get("nodes", {})
    sql = {
        n["name"]: n.get("compiled_code") or ""
        for n in nodes.values()
        if n.get("resource_type") == "model"
    }
    return Baseline(
        version=compiled.product.version,
        transforms={t.name: t for t in compiled.models},
        model_sql=sql,
    )


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def breaking_changes(
    baseline: Baseline,
    version: str,
    transforms: list[Transform],
    model_sql: dict[str, str],
    dialect: str,
) -> list[str]:
    """One violation per dropped column or changed type, unless the major version was raised."""
    if _major(version) > _major(baseline.version):
        return []
    fix = (
        f"keep it, or declare the break by raising the major of metadata.version in floe.yaml "
        f"({baseline.version} -> {_major(baseline.version) + 1}.0.0)"
    )
    problems = []
    for t in transforms:
        before = baseline.transforms.get(t.name)
        if t.resource_type != "model" or before is None:
            continue
        old_cols = output_columns(baseline.model_sql.get(t.name, ""), dialect)
        new_cols = output_columns(model_sql.get(t.name, ""), dialect)
        if old_cols is None or new_cols is None:  # fall back to the documented columns
            old_cols = [c.name.lower() for c in before.columns]
            new_cols = [c.name.lower() for c in t.columns] if t.columns else old_cols
        for column in old_cols:
            if column not in new_cols:
                problems.append(
                    f"model '{t.name}' drops column '{column}' of {t.table}, which breaks its "
                    f"readers. Fix: {fix}"
                )
        new_types = {c.name.lower(): c.data_type for c in t.columns}
        for col in before.columns:
            new_type = new_types.get(col.name.lower())
            if col.data_type and new_type and col.data_type.lower() != new_type.lower():
                problems.append(
                    f"model '{t.name}' changes column '{col.name}' of {t.table} from "
                    f"{col.data_type} to {new_type}, which breaks its readers. Fix: {fix}"
                )
    return problems
