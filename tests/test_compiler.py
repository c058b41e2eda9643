"""The compiler through its Python API, on the real demo files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from floe import artifact
from floe.compiler import compile_pipeline
from floe.compiler.stages import STAGE_ORDER
from floe.errors import GovernanceError, ResolveError, SpecLoadError, SpecValidationError

DEMO = Path(__file__).resolve().parents[1] / "demo"


def _copy(tmp_path: Path, product: str = "customer-360") -> Path:
    shutil.copytree(
        DEMO / product, tmp_path / "demo" / product, ignore=shutil.ignore_patterns("target", "logs")
    )
    shutil.copy(DEMO / "manifest.yaml", tmp_path / "demo" / "manifest.yaml")
    return tmp_path / "demo" / product


def _edit(path: Path, **top: object) -> None:
    data = yaml.safe_load(path.read_text())
    data.update(top)
    path.write_text(yaml.safe_dump(data))


def test_compile_records_six_stages_in_order(tmp_path: Path) -> None:
    result = compile_pipeline(DEMO / "customer-360", output_dir=tmp_path)
    assert [r.stage for r in result.stages] == STAGE_ORDER
    assert all(r.ok for r in result.stages)
    assert result.artifacts.dbt.model_count == 6 and result.artifacts.dbt.seed_count == 2
    assert sorted(p.name for p in result.files) == [
        "compiled_artifacts.json",
        "dbt_manifest.json",
        "definitions.py",
        "floe.schema.json",
        "profiles.yml",
        "workspace.yaml",
    ]


def test_artifact_round_trips(tmp_path: Path) -> None:
    result = compile_pipeline(DEMO / "iot-telemetry", output_dir=tmp_path)
    loaded = artifact.read(tmp_path / "iot-telemetry" / "compiled_artifacts.json")
    assert loaded == result.artifacts
    assert loaded.transform("silver_readings").materialized == "incremental"
    assert loaded.transform("gold_sensor_anomalies").depends_on == ["silver_readings"]


def test_artifact_with_other_version_is_refused(tmp_path: Path) -> None:
    compile_pipeline(DEMO / "iot-telemetry", output_dir=tmp_path)
    path = tmp_path / "iot-telemetry" / "compiled_artifacts.json"
    path.write_text(path.read_text().replace('"version": "0.5.0"', '"version": "0.4.0"'))
    with pytest.raises(Exception, match=r"artifact version '0\.4\.0', this floe reads 0\.5\.0"):
        artifact.read(path)


def test_validation_error_chains_pydantic(tmp_path: Path) -> None:
    product = _copy(tmp_path)
    _edit(product / "floe.yaml", kind="Spec")
    with pytest.raises(SpecValidationError) as info:
        compile_pipeline(product, output_dir=tmp_path / "out")
    assert isinstance(info.value.__cause__, ValidationError)
    assert info.value.problems == ["kind: Input should be 'FloeSpec' (got str 'Spec')"]
    assert not (tmp_path / "out").exists()


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    product = _copy(tmp_path)
    (product / "floe.yaml").write_text("apiVersion: floe.dev/v1\nkind: [unclosed\n")
    with pytest.raises(SpecLoadError, match=r"floe.yaml: cannot parse YAML at line 3"):
        compile_pipeline(product, output_dir=tmp_path / "out")


def test_missing_manifest_says_how_to_fix(tmp_path: Path) -> None:
    product = _copy(tmp_path)
    (product.parent / "manifest.yaml").unlink()
    with pytest.raises(SpecLoadError, match="pass --manifest PATH"):
        compile_pipeline(product, output_dir=tmp_path / "out")


def test_governance_cannot_be_switched_off(tmp_path: Path) -> None:
    product = _copy(tmp_path)
    _edit(product / "floe.yaml", governance={"require_model_tests": False})
    with pytest.raises(ResolveError, match="require_model_tests cannot be turned off"):
        compile_pipeline(product, output_dir=tmp_path / "out")


def test_model_without_layer_or_test_or_name_is_refused(tmp_path: Path) -> None:
    product = _copy(tmp_path)
    (product / "models" / "gold" / "CustomerKpis.sql").write_text(
        "select count(*) as n from {{ ref('gold_customer_360') }}\n"
    )
    with pytest.raises(GovernanceError) as info:
        compile_pipeline(product, output_dir=tmp_path / "out")
    assert info.value.violations == [
        "model 'CustomerKpis' does not match the naming rule ^(bronze|silver|gold)_[a-z0-9_]+$. "
        "Fix: rename it, e.g. gold_CustomerKpis",
        "model 'CustomerKpis' has no dbt test. Fix: add a test in its schema.yml "
        "(e.g. not_null on its key)",
    ]


def test_override_of_unknown_model_is_refused(tmp_path: Path) -> None:
    product = _copy(tmp_path)
    _edit(product / "floe.yaml", models=[{"name": "gold_nothing", "tier": "gold"}])
    with pytest.raises(ResolveError, match="models lists gold_nothing"):
        compile_pipeline(product, output_dir=tmp_path / "out")


def test_a_repeated_quality_check_is_refused_naming_the_model(tmp_path: Path) -> None:
    product = _copy(tmp_path)
    check = {"expectation": "expect_column_values_to_be_unique", "column": "customer_id"}
    _edit(product / "floe.yaml", models=[{"name": "gold_customer_360", "quality": [check, check]}])
    with pytest.raises(SpecValidationError) as caught:
        compile_pipeline(product, output_dir=tmp_path / "out")
    assert caught.value.problems == [
        "models[0].quality: 'expect_column_values_to_be_unique' on column 'customer_id' is "
        "listed more than once for 'gold_customer_360'. Fix: keep one"
    ]


def _partition(product: Path, model: str, config: str) -> None:
    (path,) = (product / "models").rglob(f"{model}.sql")
    sql = path.read_text()
    path.write_text(f"{{{{ config({config}) }}}}\n" + sql[sql.index("}}") + 2 :])


def test_partition_by_must_name_an_iceberg_transform_of_a_column_of_the_model(
    tmp_path: Path,
) -> None:
    product = _copy(tmp_path)
    _partition(
        product,
        "silver_transactions",
        "materialized='incremental', incremental_strategy='append', "
        "partition_by=['month(transaction_ts)', 'weekday(transaction_ts)', 'day(paid_at)']",
    )
    with pytest.raises(GovernanceError) as info:
        compile_pipeline(product, output_dir=tmp_path / "out")
    where = "model 'silver_transactions' (models/silver/silver_transactions.sql)"
    assert info.value.violations == [
        f"{where}: partition_by entry 'weekday(transaction_ts)' is not an Iceberg partition "
        "transform. Fix: use a column, year(col), month(col), day(col), hour(col), "
        "bucket(N, col) or truncate(N, col)",
        f"{where}: partition_by entry 'day(paid_at)' names 'paid_at', which is not a column of "
        "the model (it has: transaction_id, customer_id, transaction_ts, amount, channel). "
        "Fix: partition by one of its columns",
    ]
    assert not (tmp_path / "out" / "customer-360").exists()


def test_on_duckdb_only_an_appending_incremental_model_may_be_partitioned(tmp_path: Path) -> None:
    product = _copy(tmp_path)
    _partition(product, "silver_transactions", "partition_by='day(transaction_ts)'")
    with pytest.raises(GovernanceError) as info:
        compile_pipeline(product, output_dir=tmp_path / "out")
    (violation,) = info.value.violations
    assert "partition_by needs materialized='incremental' with incremental_strategy in " in (
        violation
    )
    assert "(append) on compute 'duckdb'" in violation
    _partition(
        product,
        "silver_transactions",
        "materialized='incremental', "
        "partition_by=['day(transaction_ts)', 'bucket(4, customer_id)']",
    )
    result = compile_pipeline(product, output_dir=tmp_path / "out")
    (silver,) = [t for t in result.artifacts.transforms if t.name == "silver_transactions"]
    assert silver.partition_by == ["day(transaction_ts)", "bucket(4, customer_id)"]


def test_a_project_wide_hook_of_the_product_adds_to_the_engines_own(tmp_path: Path) -> None:
    """dbt adds hooks up; a product's top-level +pre-hook must not replace the partition hook
    the DuckDB plugin puts before every model's write."""
    product = _copy(tmp_path)
    project = product / "dbt_project.yml"
    data = yaml.safe_load(project.read_text())
    data["models"] = {"+pre-hook": "select 'product hook'", **data["models"]}
    project.write_text(yaml.safe_dump(data, sort_keys=False))
    result = compile_pipeline(product, output_dir=tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "customer-360" / "dbt_manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) == result.artifacts.dbt.model_count == 6
    for node in models:
        assert [h["sql"] for h in node["config"]["pre-hook"]] == [
            "{{ floe_duckdb_partition_spec() }}",
            "select 'product hook'",
        ], node["name"]
        assert [h["sql"] for h in node["config"]["post-hook"]] == [
            "{{ floe_duckdb_partition_spec() }}"
        ]
