"""Upstream floe's file vocabulary compiles here unchanged; what has no meaning yet is said."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from floe.compiler import compile_pipeline
from floe.errors import SpecValidationError
from floe.spec.upstream import translate_manifest, translate_spec

DEMO = Path(__file__).resolve().parents[1] / "demo"

UPSTREAM_SPEC = """
apiVersion: floe.dev/v1
kind: FloeSpec
metadata:
  name: retail-upstream
  version: 1.0.0
  owner: retail@floe.example
  labels: {domain: retail}
transforms:
  - name: bronze_customers
    tier: bronze
    tags: [staging]
  - name: silver_customers
    tier: silver
    dependsOn: [bronze_customers]
  - name: gold_customer_360
    tier: gold
    dependsOn: [silver_customers, silver_transactions]
    qualityChecks: [{name: unique_ids}]
outputPorts:
  - name: customers
    table: retail_upstream.gold_customer_360
compute:
  default: duckdb
  overrides:
    gold_segments: duckdb
schedule:
  cron: "*/15 * * * *"
  timezone: UTC
"""

UPSTREAM_MANIFEST = """
apiVersion: floe.dev/v1
kind: Manifest
metadata:
  name: upstream-platform
  version: 1.0.0
  owner: platform@floe.example
plugins:
  compute:
    type: duckdb
    config: {threads: 2, memory_limit: 2GB, path: /tmp/x.duckdb}
  orchestrator:
    type: dagster
    config: {default_schedule: "*/20 * * * *"}
  catalog:
    type: polaris
    config:
      uri: http://127.0.0.1:8181
      warehouse: warehouse
      oauth2:
        client_id: {env: FLOE_CATALOG_CLIENT_ID}
        client_secret: {env: FLOE_CATALOG_CLIENT_SECRET}
        scope: PRINCIPAL_ROLE:ALL
        token_url: http://127.0.0.1:8181/v1/oauth/tokens
  storage:
    type: s3
    config: {endpoint: http://127.0.0.1:8333, bucket: warehouse, region: us-east-1,
             path_style_access: true}
  ingestion:
    type: dlt
    config: {}
  lineage_backend:
    type: marquez
    version: "0.1.0"
    config: {url: http://127.0.0.1:5000}
  telemetry_backend:
    type: jaeger
    config: {endpoint: http://127.0.0.1:4318}
governance:
  policy_enforcement_level: warn
  data_retention_days: 1
  quality_gates: {minimum_test_coverage: 80, block_on_failure: false}
resource_presets:
  small: {cpu_request: 100m}
"""


def _product(tmp_path: Path, spec: str = UPSTREAM_SPEC, manifest: str = UPSTREAM_MANIFEST) -> Path:
    product = tmp_path / "demo" / "retail-upstream"
    shutil.copytree(DEMO / "customer-360", product, ignore=shutil.ignore_patterns("target"))
    (product / "floe.yaml").write_text(spec)
    (tmp_path / "demo" / "manifest.yaml").write_text(manifest)
    return product


def test_an_upstream_product_and_manifest_compile_unchanged(tmp_path: Path) -> None:
    result = compile_pipeline(_product(tmp_path), output_dir=tmp_path / "out")
    a = result.artifacts
    assert (a.plugins.catalog.type, a.plugins.lineage.type, a.plugins.telemetry.type) == (
        "iceberg-rest",
        "openlineage",
        "otlp",
    )
    assert a.plugins.storage.config["buckets"] == ["warehouse"]
    assert a.plugins.catalog.config["client_secret"] == {"env": "FLOE_CATALOG_CLIENT_SECRET"}
    assert a.governance.max_retention_hours == 24
    assert a.orchestration.schedule.cron == "*/15 * * * *"
    assert a.transform("gold_customer_360").layer == "gold"
    text = "\n".join(result.warnings)
    for unused in (
        "floe.yaml: outputPorts has no meaning in floe yet",
        "transforms[].dependsOn (on silver_customers, gold_customer_360)",
        "transforms[].qualityChecks (on gold_customer_360)",
        "manifest.yaml: plugins.compute.config.path has no meaning",
        "manifest.yaml: plugins.ingestion has no meaning in floe yet (its plugin kind is an ABC",
        "manifest.yaml: governance.policy_enforcement_level has no meaning",
        "manifest.yaml: resource_presets has no meaning",
        "plugins.catalog.config.oauth2.token_url has no meaning",
        "minimum_test_coverage=80 is read as require_model_tests: false",
    ):
        assert unused in text, unused


def test_the_orchestrator_default_schedule_becomes_the_manifest_default() -> None:
    out, _ = translate_manifest(yaml.safe_load(UPSTREAM_MANIFEST))
    assert out["defaults"] == {"schedule": {"cron": "*/20 * * * *"}}
    assert out["kind"] == "PlatformManifest"


def test_compute_overrides_become_per_model_compute() -> None:
    out, _ = translate_spec(yaml.safe_load(UPSTREAM_SPEC))
    assert out["compute"] == "duckdb"
    models = {m["name"]: m for m in out["models"]}
    assert models["gold_segments"] == {"name": "gold_segments", "compute": "duckdb"}
    assert models["silver_customers"] == {"name": "silver_customers", "tier": "silver"}


def test_a_literal_secret_is_refused_naming_the_field(tmp_path: Path) -> None:
    manifest = UPSTREAM_MANIFEST.replace(
        "client_secret: {env: FLOE_CATALOG_CLIENT_SECRET}", "client_secret: demo-secret"
    )
    with pytest.raises(SpecValidationError) as caught:
        compile_pipeline(_product(tmp_path, manifest=manifest), output_dir=tmp_path / "out")
    assert "plugins.catalog.config.oauth2.client_secret: a literal secret is not accepted" in str(
        caught.value
    )
    assert not (tmp_path / "out").exists()
