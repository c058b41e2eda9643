"""Promotion's pieces that need no running service: the package, the security scan, the demo's
Rego policies as the policy gate evaluates them, and the order of environments."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from floe.compiler import compile_pipeline
from floe.promotion import gates, package
from floe.promotion.policy_gate import Policies

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    compile_pipeline(DEMO / "customer-360", output_dir=out)
    return out / "customer-360"


def test_the_same_build_packs_to_the_same_bytes_with_the_dbt_project_inside(
    compiled: Path, tmp_path: Path
) -> None:
    first = package.pack(compiled, tmp_path / "a.tar.gz").read_bytes()
    second = package.pack(compiled, tmp_path / "b.tar.gz").read_bytes()
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        names = tar.getnames()
    # The compiled output links to the product's dbt folders: their files are in the archive.
    assert "dbt/models/gold/gold_segments.sql" in names
    assert "compiled_artifacts.json" in names and "definitions.py" in names
    assert not any(n.startswith(("target/", "dbt/target/")) for n in names)


def test_the_summary_policies_read_counts_each_models_tests(compiled: Path) -> None:
    summary = package.summary(package.read(compiled))
    assert summary["product"] == "customer-360" and summary["version"] == "1.0.0"
    tests = {m["name"]: m["tests"] for m in summary["models"]}
    assert tests == {
        "bronze_customers": 2,
        "bronze_transactions": 2,
        "gold_customer_360": 5,
        "gold_segments": 3,
        "silver_customers": 4,
        "silver_transactions": 4,
    }


def test_the_security_gate_finds_written_credentials_and_passes_references(tmp_path: Path) -> None:
    (tmp_path / "ok.yml").write_text("password: \"{{ env_var('FLOE_PG_PASSWORD') }}\"\n")
    assert gates.security(tmp_path).passed
    (tmp_path / "bad.sql").write_text("select 1\n-- api_key = 'sk_live_abcdef123'\n")
    (tmp_path / "key.txt").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    result = gates.security(tmp_path)
    assert not result.passed
    assert result.reason == (
        "bad.sql:2 holds a hard-coded credential; key.txt:1 holds a private key"
    )


@pytest.mark.parametrize(
    ("target", "version", "tests", "manifest", "denied"),
    [
        ("staging", "1.1.0-rc.1", 2, "m1", []),
        (
            "prod",
            "1.1.0-rc.1",
            2,
            "m1",
            ["prod runs released versions only: 1.1.0-rc.1 is a pre-release"],
        ),
        (
            "prod",
            "1.1.0",
            0,
            "m1",
            ["model gold_x has no dbt test: prod requires every model tested"],
        ),
        (
            "staging",
            "1.1.0",
            2,
            "m2",
            ["p was compiled against manifest m2, the platform runs manifest m1"],
        ),
    ],
)
def test_the_demo_policies_deny_what_they_say(
    target: str, version: str, tests: int, manifest: str, denied: list[str]
) -> None:
    policies = Policies(DEMO / "policies")
    decision = policies.evaluate(
        "floe/promotion/deny",
        {
            "product": "p",
            "target": target,
            "artifact": {
                "version": version,
                "manifest_sha256": manifest,
                "models": [{"name": "gold_x", "tests": tests}],
            },
            "platform": {"manifest_sha256": "m1"},
        },
    )
    assert decision == denied


def test_an_undefined_rule_reads_as_none_so_the_gate_can_fail_closed(tmp_path: Path) -> None:
    assert Policies(tmp_path).evaluate("floe/promotion/deny", {"target": "prod"}) is None
