"""The chart and floe agree: one values model, one dependency table, generated values current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from floe.chart import schema
from floe.chart.from_manifest import render
from floe.chart.values import EXPOSED, SERVICE_FLOWS, ChartValues, flow_ports, flow_table
from floe.plugins.builtin.network_kubernetes import KubernetesNetworkPolicyPlugin
from floe.plugins.builtin.rbac_polaris import PolarisRBACPlugin

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "charts" / "floe-platform"
DEMO = ROOT / "demo"
PRODUCTS = [DEMO / "customer-360", DEMO / "iot-telemetry", DEMO / "financial-risk"]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _values(*names: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name in names:
        merged = _merge(merged, yaml.safe_load((CHART / name).read_text()))
    return merged


def test_schema_file_is_generated_from_the_model() -> None:
    assert schema.main([]) == 0


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_values_files_validate_against_the_model(env: str) -> None:
    values = ChartValues.model_validate(_values("values.yaml", f"values-{env}.yaml"))
    assert values.global_.environment == env
    assert [p.name for p in values.products] == ["customer-360", "iot-telemetry", "financial-risk"]


def test_values_yaml_holds_the_declared_dependency_table() -> None:
    values = ChartValues.model_validate(_values("values.yaml"))
    flows = [(f.from_, f.to, tuple(f.ports)) for f in values.network_policy.flows]
    assert flows == list(SERVICE_FLOWS)
    assert {k: tuple(v) for k, v in values.network_policy.exposed.items()} == EXPOSED


def test_network_plugin_renders_the_same_flows_as_the_chart() -> None:
    plugin = KubernetesNetworkPolicyPlugin({"namespace": "floe-dev", "ports": flow_ports()})
    policies = plugin.policies(flow_table())
    egress = {
        (
            p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
            rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
        )
        for p in policies
        if p["spec"]["policyTypes"] == ["Egress"]
        for rule in p["spec"]["egress"]
    }
    assert egress == {(s, d) for s, d, _ in SERVICE_FLOWS}
    assert policies[0]["metadata"]["name"] == "default-deny"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_environment_values_are_current(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    text = render(Path("demo/manifest.yaml"), [p.relative_to(ROOT) for p in PRODUCTS], env)
    assert (CHART / f"values-{env}.yaml").read_text() == text, (
        f"regenerate: floe chart values demo/customer-360 demo/iot-telemetry "
        f"demo/financial-risk --manifest demo/manifest.yaml -e {env} "
        f"-o charts/floe-platform/values-{env}.yaml"
    )


def test_each_product_principal_writes_only_its_namespace() -> None:
    plugin = PolarisRBACPlugin({})
    calls = plugin.polaris_requests("warehouse", "s3://warehouse", {"shop": "shop", "iot": "iot"})
    grants = [(c["path"], c["body"]["grant"]) for c in calls if c["path"].endswith("/grants")]
    shop = [g for path, g in grants if "/catalog-roles/shop_writer/" in path]
    assert {g["privilege"] for g in shop} == {
        "TABLE_CREATE",
        "TABLE_LIST",
        "TABLE_WRITE_DATA",
        "TABLE_DROP",
    }
    assert {(g["type"], tuple(g["namespace"])) for g in shop} == {("namespace", ("shop",))}
    principals = [
        c["body"]["principal"]["name"] for c in calls if c["path"].endswith("/principals")
    ]
    assert principals == ["iot_runner", "shop_runner"]
    assert [c["credentials"] for c in calls if "credentials" in c] == [
        "principal-iot-runner",
        "principal-shop-runner",
    ]


def test_a_manifest_name_clashing_with_a_product_principal_is_refused() -> None:
    plugin = PolarisRBACPlugin({"principals": {"shop_runner": []}})
    with pytest.raises(ValueError, match="'shop_runner' is the name floe gives product shop"):
        plugin.polaris_requests("warehouse", "s3://warehouse", {"shop": "shop"})
