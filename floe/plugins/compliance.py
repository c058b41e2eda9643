"""The compliance suite every plugin passes, built-in or third-party (FR-051, FR-056).

'floe plugins check' runs it on installed plugins, and the test suite runs it on every entry
point it finds, so a plugin author gets the same verdict floe's own plugins get.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, SecretStr

from floe.errors import FloeError
from floe.plugins.base import (
    PLUGIN_KINDS,
    CatalogPlugin,
    ComputePlugin,
    DBTPlugin,
    HealthStatus,
    NetworkSecurityPlugin,
    OrchestratorPlugin,
    Plugin,
    QualityPlugin,
    RBACPlugin,
    SecretsPlugin,
)
from floe.plugins.registry import check_compliance, default_loader
from floe.spec.secrets import SecretRef
from floe.typedef import FloeModel

SECRET_FIELD = re.compile(
    r"(secret|password|passwd|credential|access_key|client_id|api_key|token)$"
)
HEALTH_BUDGET_S = 10.0


class Check(FloeModel):
    name: str
    ok: bool
    detail: str = ""


class Report(FloeModel):
    kind: str
    name: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _expect(condition: object, detail: object) -> None:
    """An assert that survives ``python -O``: a probe must be able to fail."""
    if not condition:
        raise AssertionError(detail)


def _secret_typed(annotation: Any) -> bool:
    types = get_args(annotation) or (annotation,)
    return any(t in (SecretRef, SecretStr) for t in types)


def _config_checks(cls: type[Plugin[Any]]) -> list[Check]:
    model: type[BaseModel] = cls.config_model
    cfg = model.model_config
    checks = [
        Check(
            name="config model is frozen and forbids unknown keys",
            ok=cfg.get("frozen") is True and cfg.get("extra") == "forbid",
            detail=f"frozen={cfg.get('frozen')}, extra={cfg.get('extra')}",
        )
    ]
    loose = [
        field
        for field, info in model.model_fields.items()
        if SECRET_FIELD.search(field) and not _secret_typed(info.annotation)
    ]
    checks.append(
        Check(
            name="secret settings are SecretRef/SecretStr",
            ok=not loose,
            detail=f"plain-typed: {', '.join(loose)}" if loose else "",
        )
    )
    return checks


def _probe(kind: str, plugin: Plugin[Any]) -> Callable[[], str] | None:
    """A call of the kind's abstract methods that needs no running service; None where every
    method talks to one (the health check covers those)."""
    if isinstance(plugin, ComputePlugin):

        def compute() -> str:
            loader = default_loader()
            catalog = loader.create(
                "catalog", "iceberg-rest", loader.get("catalog", "iceberg-rest").example_config
            )
            storage = loader.create("storage", "s3", loader.get("storage", "s3").example_config)
            output = plugin.dbt_output(catalog=catalog, storage=storage, namespace="probe")  # type: ignore[arg-type]
            _expect(output["type"] == plugin.dbt_adapter, output.get("type"))
            _expect(plugin.sql_error("select 1 as x") is None, "")
            _expect(
                isinstance(plugin.sql_error("select from where"), str), "a broken statement passes"
            )
            return f"dbt adapter {output['type']}; parses SQL"

        return compute
    if isinstance(plugin, DBTPlugin):

        def dbt() -> str:
            with tempfile.TemporaryDirectory() as tmp:
                project = Path(tmp) / "p"
                (project / "models").mkdir(parents=True)
                (project / "dbt_project.yml").write_text("name: p\nconfig-version: 2\n")
                plugin.run_project(project, Path(tmp) / "run", {}, {})
                laid_out = sorted(p.name for p in (Path(tmp) / "run").iterdir())
            _expect("dbt_project.yml" in laid_out and "models" in laid_out, laid_out)
            return "lays out a run project"

        return dbt
    if isinstance(plugin, OrchestratorPlugin):

        def orchestrator() -> str:
            compile(plugin.render_definitions("probe", "a.json"), "definitions.py", "exec")
            _expect("probe" in plugin.render_workspace({"probe": "probe/definitions.py"}), "")
            return "renders definitions (valid Python) and a workspace"

        return orchestrator
    if isinstance(plugin, QualityPlugin):

        def quality() -> str:
            import pyarrow as pa

            from floe.spec.common import QualityCheck

            rows = pa.table({"id": [1, 2, None]})
            check = QualityCheck(expectation="expect_column_values_to_not_be_null", column="id")
            (result,) = plugin.validate_rows(rows, [check])
            _expect((result["success"], result["unexpected_count"]) == (False, 1), result)
            return "finds the one null in a 3-row table"

        return quality
    if isinstance(plugin, SecretsPlugin):

        def secrets() -> str:
            # The ABC's contract, whatever the backend: an absent secret is a FloeError naming it.
            missing = "FLOE_COMPLIANCE_PROBE_ABSENT"
            try:
                plugin.resolve(missing)
            except FloeError as exc:
                _expect(missing in str(exc), str(exc))
                return "an absent secret is a FloeError naming it"
            raise AssertionError(f"resolving {missing} did not fail")

        return secrets
    if isinstance(plugin, RBACPlugin):

        def rbac() -> str:
            answer = plugin.is_allowed("nobody", "TABLE_READ_DATA", "probe.table")
            _expect(answer is False, answer)
            return "denies an unknown principal"

        return rbac
    if isinstance(plugin, NetworkSecurityPlugin):

        def network() -> str:
            policies = plugin.policies({"dagster": ["postgresql"]})
            _expect(all(p.get("kind") == "NetworkPolicy" for p in policies), policies)
            _expect(len(policies) >= 2, len(policies))
            return f"{len(policies)} policies for one declared flow"

        return network
    if isinstance(plugin, CatalogPlugin):

        def catalog() -> str:
            _expect(isinstance(plugin.warehouse(), str) and plugin.warehouse(), "empty warehouse")
            return f"warehouse {plugin.warehouse()}"

        return catalog
    return None


def check_plugin(kind: str, name: str) -> Report:
    """Every check, each with its verdict; a failed one does not stop the others."""
    checks: list[Check] = []
    try:
        cls = default_loader().get(kind, name)
    except FloeError as exc:
        return Report(kind=kind, name=name, checks=[Check(name="loads", ok=False, detail=str(exc))])
    try:
        check_compliance(kind, name, cls)
        checks.append(Check(name=f"implements {PLUGIN_KINDS[kind].__name__}", ok=True))
    except FloeError as exc:
        checks.append(
            Check(name=f"implements {PLUGIN_KINDS[kind].__name__}", ok=False, detail=str(exc))
        )
        return Report(kind=kind, name=name, checks=checks)
    checks += _config_checks(cls)
    try:
        plugin = cls(cls.example_config)
        checks.append(Check(name="example config validates", ok=True))
    except ValueError as exc:
        checks.append(
            Check(name="example config validates", ok=False, detail=str(exc).splitlines()[0])
        )
        return Report(kind=kind, name=name, checks=checks)
    start = time.perf_counter()
    try:
        status = plugin.health_check()
        elapsed = time.perf_counter() - start
        ok = isinstance(status, HealthStatus) and elapsed < HEALTH_BUDGET_S
        detail = f"healthy={status.healthy} ({status.detail}) in {elapsed:.1f}s"
    except Exception as exc:  # health checks report problems, they must not raise
        ok, detail = False, f"raised {type(exc).__name__}: {exc}"
    checks.append(Check(name="health_check answers without raising", ok=ok, detail=detail))
    probe = _probe(kind, plugin)
    if probe is not None:
        try:
            checks.append(Check(name="its methods work", ok=True, detail=probe()))
        except Exception as exc:
            checks.append(
                Check(name="its methods work", ok=False, detail=f"{type(exc).__name__}: {exc}")
            )
    return Report(kind=kind, name=name, checks=checks)
