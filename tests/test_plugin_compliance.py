"""The compliance suite on every installed plugin, and the ABCs' recorded surface (FR-051,
FR-056). A third-party plugin installed in this environment is checked here too."""

from __future__ import annotations

import copy
import json
import re
from importlib.metadata import version

import pytest

from floe.plugins.abi import SNAPSHOT, breaking_changes, snapshot
from floe.plugins.base import PLUGIN_KINDS
from floe.plugins.compliance import check_plugin
from floe.plugins.registry import default_loader

INSTALLED = [(k, n) for k in sorted(PLUGIN_KINDS) for n in default_loader().available(k)]


@pytest.mark.parametrize(("kind", "name"), INSTALLED, ids=[f"{k}:{n}" for k, n in INSTALLED])
def test_every_installed_plugin_passes_the_compliance_suite(
    kind: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_CATALOG_CLIENT_ID", "probe-id")
    monkeypatch.setenv("FLOE_CATALOG_CLIENT_SECRET", "probe-secret")
    report = check_plugin(kind, name)
    failed = [f"{c.name}: {c.detail}" for c in report.checks if not c.ok]
    assert failed == []
    assert report.checks[0].name == f"implements {PLUGIN_KINDS[kind].__name__}"


def test_twelve_kinds_have_an_implementation() -> None:
    implemented = {k for k, _ in INSTALLED}
    # The spec lets Ingestion, Semantic layer and Storage stay ABC-only; Storage has one.
    assert implemented == set(PLUGIN_KINDS) - {"ingestion", "semantic_layer"}
    assert len(implemented) == 12


def test_the_abcs_match_their_recorded_surface() -> None:
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert breaking_changes(recorded, snapshot()) == []
    assert recorded == snapshot(), "additions: run 'python -m floe.plugins.abi --write'"


def test_a_removed_method_or_new_abstract_method_is_a_breaking_change() -> None:
    recorded = snapshot()
    changed = copy.deepcopy(recorded)
    del changed["abcs"]["CatalogPlugin"]["methods"]["warehouse"]
    changed["abcs"]["QualityPlugin"]["abstract"].append("score")
    changed["abcs"]["ComputePlugin"]["methods"]["sql_error"] = "(self, sql: 'bytes') -> 'str'"
    assert breaking_changes(recorded, changed) == [
        "CatalogPlugin.warehouse was removed",
        "ComputePlugin.sql_error changed its signature: (self, sql: 'str') -> 'str | None' -> "
        "(self, sql: 'bytes') -> 'str'",
        "QualityPlugin.score is a new abstract method",
    ]


def test_incompatible_plugins_are_named_from_both_sides() -> None:
    from floe.compiler.enforce import compatibility_problems
    from floe.plugins.builtin.catalog_iceberg_rest import IcebergRestCatalogPlugin
    from floe.plugins.builtin.compute_duckdb import DuckDBComputePlugin

    class GlueCatalog(IcebergRestCatalogPlugin):
        name = "glue"
        requires = {"dbt-core": ">=99"}  # noqa: RUF012 - a test double

    catalog = GlueCatalog(IcebergRestCatalogPlugin.example_config)
    compute = DuckDBComputePlugin({})
    problems = compatibility_problems({"catalog": catalog, "compute": compute})
    installed = version("dbt-core")
    assert problems == [
        f"catalog plugin 'glue' needs dbt-core>=99, but {installed} is installed. "
        "Fix: pip install 'dbt-core>=99'",
        "compute plugin 'duckdb' does not work with catalog plugin 'glue' (it works with: "
        "iceberg-rest). Fix: choose a compatible catalog in manifest.yaml, or another compute",
    ]


def test_polaris_grants_become_namespace_scoped_catalog_actions() -> None:
    from floe.platform.catalog_access import seaweedfs_actions
    from floe.plugins.builtin.rbac_polaris import PolarisRBACPlugin

    rbac = PolarisRBACPlugin(PolarisRBACPlugin.example_config)
    assert rbac.is_allowed("customer_360_runner", "TABLE_WRITE_DATA", "customer_360.orders")
    # Writing implies reading, in Polaris's model; another namespace is not covered.
    assert rbac.is_allowed("customer_360_runner", "TABLE_READ_DATA", "customer_360.orders")
    assert not rbac.is_allowed("customer_360_runner", "TABLE_READ_DATA", "iot_telemetry.x")
    actions = seaweedfs_actions(rbac.privileges("customer_360_runner"), "warehouse")
    assert "Write:warehouse/customer_360/*" in actions
    assert "Read:warehouse/customer_360/*" in actions
    assert not [a for a in actions if a in ("Write:warehouse", "Read:warehouse", "Admin")]
    assert seaweedfs_actions([], "warehouse") == []


def test_an_unknown_privilege_or_role_is_refused_naming_the_field() -> None:
    from floe.plugins.builtin.rbac_polaris import PolarisRBACPlugin

    with pytest.raises(
        ValueError, match=re.escape("catalog_roles.r[0].privilege: unknown privilege")
    ):
        PolarisRBACPlugin(
            {"principal_roles": {"p": ["r"]}, "catalog_roles": {"r": [{"privilege": "READ"}]}}
        )
    with pytest.raises(
        ValueError, match=re.escape("principals.bob: unknown principal role 'ghost'")
    ):
        PolarisRBACPlugin({"principals": {"bob": ["ghost"]}})
