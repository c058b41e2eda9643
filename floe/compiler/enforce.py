"""ENFORCE: governance the platform team set, checked before anything can run."""

from __future__ import annotations

import csv
import io
import re
from typing import Any, cast

import jinja2

from floe.compiler.resolve import ResolvedProduct
from floe.errors import GovernanceError
from floe.plugins.base import ComputePlugin, PluginLoader


class _Anything(jinja2.ChainableUndefined):
    """Unknown macros render to nothing so only the SQL around them is checked."""

    def __call__(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        return ""

    def __str__(self) -> str:
        return ""


_JINJA = jinja2.Environment(undefined=_Anything, autoescape=False)  # noqa: S701 - renders SQL


def render_sql(raw: str, incremental: bool) -> str:
    """Render a model's Jinja with stand-in values for dbt's context functions."""
    context = {
        "ref": lambda *a, **k: f"ref_{a[-1]}",
        "source": lambda *a, **k: f"src_{a[0]}.{a[-1]}",
        "config": lambda *a, **k: "",
        "var": lambda name, default=None: default if default is not None else f"'{name}'",
        "is_incremental": lambda: incremental,
        "this": "this_table",
        "env_var": lambda name, default="": default,
    }
    return _JINJA.from_string(raw).render(context)


def enforce(product: ResolvedProduct, loader: PluginLoader) -> None:
    """Collect every violation, then fail once with all of them."""
    violations: list[str] = []
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
        raw = product.model_sql.get(t.name, "")
        for incremental in (False, True):
            try:
                sql = render_sql(raw, incremental)
            except jinja2.TemplateError as exc:
                violations.append(
                    f"model '{t.name}': Jinja does not render: {exc}. "
                    "Fix: correct the template syntax"
                )
                break
            error = engine.sql_error(sql) if sql.strip() else None
            if error:
                violations.append(
                    f"model '{t.name}' has SQL that does not parse for {t.compute}: {error}. "
                    f"Fix: correct the SQL in {_path(product, t.unique_id)}"
                )
                break
    violations += _seed_problems(product)
    if violations:
        raise GovernanceError(violations)


def _seed_problems(product: ResolvedProduct) -> list[str]:
    """A malformed seed must stop here, not halfway through a pipeline run."""
    problems = []
    root = product.inputs.loaded.product_dir
    for t in product.transforms:
        if t.resource_type != "seed":
            continue
        rel = _path(product, t.unique_id)
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


def _path(product: ResolvedProduct, unique_id: str) -> str:
    node = product.dbt_manifest["nodes"][unique_id]
    return str(node.get("original_file_path", unique_id))
