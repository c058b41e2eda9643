"""oci:// manifest references that need no registry to judge: malformed ones, missing
credentials, a registry that does not answer. Pulling from a real registry is in the
promotion feature."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
import yaml

from floe.cli import invoke
from floe.compiler.remote_manifest import Reference

ROOT = Path(__file__).resolve().parents[1]
DIGEST = "sha256:" + "ab" * 32


def _product(tmp_path: Path, manifest: str) -> Path:
    product = tmp_path / "customer-360"
    shutil.copytree(ROOT / "demo" / "customer-360", product)
    spec = yaml.safe_load((product / "floe.yaml").read_text())
    spec["platform"]["manifest"] = manifest
    (product / "floe.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return product


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        (
            "oci://127.0.0.1:5100/platform/floe-demo-platform:1.0.0",
            Reference("127.0.0.1:5100", "platform/floe-demo-platform", "1.0.0", None),
        ),
        (
            f"oci://registry.local/platform/x@{DIGEST}",
            Reference("registry.local", "platform/x", None, DIGEST),
        ),
    ],
)
def test_references_parse_and_print_back(text: str, parsed: Reference) -> None:
    assert Reference.parse(text) == parsed
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text",
    ["oci://host", "oci://host/Platform/x:1", "oci://host/platform/x@sha256:12", "oci://h/p/x:"],
)
def test_a_malformed_reference_fails_compile_naming_the_field_and_the_forms(
    tmp_path: Path, text: str
) -> None:
    result = invoke(["compile", str(_product(tmp_path, text)), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.stderr
    assert f"floe.yaml: platform.manifest '{text}' is not an OCI reference" in result.stderr
    assert "oci://HOST/REPOSITORY:TAG or oci://HOST/REPOSITORY@sha256:DIGEST" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()


def test_without_credentials_compile_says_which_variables_give_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_HOME", str(tmp_path / "no-platform-here"))
    monkeypatch.delenv("FLOE_REGISTRY_PASSWORD", raising=False)
    ref = f"oci://127.0.0.1:{_closed_port()}/platform/floe-demo-platform:1.0.0"
    result = invoke(["compile", str(_product(tmp_path, ref)), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.stderr
    assert f"floe.yaml: platform.manifest '{ref}' cannot be pulled: no credentials" in result.stderr
    assert "set FLOE_REGISTRY_PASSWORD" in result.stderr


def test_an_unreachable_registry_fails_compile_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_REGISTRY_PASSWORD", "not-used")
    port = _closed_port()
    ref = f"oci://127.0.0.1:{port}/platform/floe-demo-platform:1.0.0"
    result = invoke(["compile", str(_product(tmp_path, ref)), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.stderr
    assert f"floe.yaml: platform.manifest '{ref}' cannot be pulled" in result.stderr
    assert f"the artifact registry at http://127.0.0.1:{port} cannot be reached" in result.stderr
    assert "Fix: start the platform with 'floe platform up'" in result.stderr
    assert not (tmp_path / "out").exists()
