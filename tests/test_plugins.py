"""Plugin discovery through entry points and compliance with the ABCs (FR-050, FR-051)."""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points

import pytest

from floe import plugins as plugin_api
from floe.errors import PluginComplianceError, PluginNotFoundError
from floe.plugins.base import PLUGIN_KINDS, ComputePlugin, HealthStatus, PluginLoader
from floe.plugins.registry import EntryPointPluginLoader, check_compliance

EXPECTED_ABCS = {
    "CatalogPlugin",
    "ComputePlugin",
    "DBTPlugin",
    "IdentityPlugin",
    "IngestionPlugin",
    "LineagePlugin",
    "NetworkSecurityPlugin",
    "OrchestratorPlugin",
    "QualityPlugin",
    "RBACPlugin",
    "SecretsPlugin",
    "SemanticLayerPlugin",
    "StoragePlugin",
    "TelemetryPlugin",
    "PluginLoader",
}


def test_fifteen_abcs_are_defined() -> None:
    abcs = {
        name
        for name, obj in inspect.getmembers(plugin_api, inspect.isclass)
        if inspect.isabstract(obj) and obj is not plugin_api.Plugin
    }
    assert abcs == EXPECTED_ABCS
    assert len(PLUGIN_KINDS) == 14 and issubclass(EntryPointPluginLoader, PluginLoader)


def test_builtin_plugins_are_registered_as_entry_points() -> None:
    found = {
        (ep.group, ep.name) for kind in PLUGIN_KINDS for ep in entry_points(group=f"floe.{kind}")
    }
    assert found >= {
        ("floe.compute", "duckdb"),
        ("floe.orchestrator", "dagster"),
        ("floe.dbt", "dbt-core"),
        ("floe.catalog", "iceberg-rest"),
        ("floe.storage", "s3"),
        ("floe.secrets", "env"),
    }


@pytest.mark.parametrize(
    ("kind", "name"),
    [("compute", "duckdb"), ("orchestrator", "dagster"), ("dbt", "dbt-core"), ("secrets", "env")],
)
def test_local_plugins_are_healthy(kind: str, name: str) -> None:
    plugin = EntryPointPluginLoader().create(kind, name)
    status = plugin.health_check()
    assert isinstance(status, HealthStatus)
    assert status.healthy is True
    assert status.detail.split()[0] in {"duckdb", "dagster", "dbt-core", "reads"}


def test_unknown_plugin_lists_installed() -> None:
    with pytest.raises(
        PluginNotFoundError, match=r"no compute plugin named 'x' is installed \(installed: duckdb"
    ):
        EntryPointPluginLoader().get("compute", "x")


def test_incomplete_plugin_fails_compliance() -> None:
    class Half(ComputePlugin):  # type: ignore[type-arg]
        name = "half"

        def health_check(self) -> HealthStatus:
            return HealthStatus(healthy=True)

    with pytest.raises(PluginComplianceError, match="does not implement: dbt_output, sql_error"):
        check_compliance("compute", "half", Half)
    with pytest.raises(PluginComplianceError, match="is not a subclass of ComputePlugin"):
        check_compliance("compute", "half", object)


def test_duckdb_sql_check() -> None:
    duck = EntryPointPluginLoader().create("compute", "duckdb")
    assert duck.sql_error("select 1 as x") is None  # type: ignore[attr-defined]
    assert "syntax error" in duck.sql_error("select (1 from t")  # type: ignore[attr-defined]


def test_great_expectations_plugin_reports_each_check() -> None:
    import pyarrow as pa

    from floe.spec.common import QualityCheck

    quality = EntryPointPluginLoader().create("quality", "great-expectations")
    table = pa.table({"id": [1, 2, 2, None], "amount": [1.0, 5.0, -3.0, 2.0]})
    results = quality.validate_rows(  # type: ignore[attr-defined]
        table,
        [
            QualityCheck(expectation="expect_column_values_to_be_unique", column="id"),
            QualityCheck(
                expectation="expect_column_values_to_be_between", column="amount", min_value=0
            ),
            QualityCheck(
                expectation="expect_column_values_to_be_in_set", column="id", value_set=["1", "2"]
            ),
        ],
    )
    assert [(r["expectation"], r["success"], r["unexpected_count"]) for r in results] == [
        ("expect_column_values_to_be_unique", False, 2),
        ("expect_column_values_to_be_between", False, 1),
        ("expect_column_values_to_be_in_set", False, 3),
    ]
