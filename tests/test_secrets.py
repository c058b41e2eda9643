"""Secret references resolve through the configured secrets plugin, for floe and for dbt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from floe.artifact.io import ARTIFACT_FILE
from floe.compiler import compile_pipeline
from floe.errors import FloeError
from floe.plugins.builtin.secrets_kubernetes import KubernetesSecretsPlugin
from floe.runtime.secrets import install_secrets, references
from floe.spec.secrets import SecretRef, use_resolver

DEMO = Path(__file__).resolve().parents[1] / "demo"


@pytest.fixture(autouse=True)
def _environment_resolver() -> Iterator[None]:
    yield
    use_resolver(None)


def test_a_mounted_secret_is_read_from_its_file_without_the_trailing_newline(
    tmp_path: Path,
) -> None:
    (tmp_path / "FLOE_S3_SECRET_ACCESS_KEY").write_text("s3cr3t-value\n")
    plugin = KubernetesSecretsPlugin({"mount_dir": str(tmp_path)})
    assert plugin.resolve("FLOE_S3_SECRET_ACCESS_KEY") == "s3cr3t-value"
    assert plugin.health_check().detail == f"1 key(s) mounted at {tmp_path}"
    with pytest.raises(FloeError, match="secret FLOE_MISSING is not mounted"):
        plugin.resolve("FLOE_MISSING")


def test_references_resolve_through_the_installed_plugin(tmp_path: Path) -> None:
    (tmp_path / "FLOE_CATALOG_CLIENT_SECRET").write_text("from-the-mount")
    use_resolver(KubernetesSecretsPlugin({"mount_dir": str(tmp_path)}).resolve)
    ref = SecretRef(env="FLOE_CATALOG_CLIENT_SECRET")
    assert ref.resolve().get_secret_value() == "from-the-mount"
    assert str(ref.resolve()) == "**********"


def test_installing_the_artifacts_secrets_plugin_exports_what_dbt_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from floe import artifact

    compile_pipeline(DEMO / "customer-360", output_dir=tmp_path / "out")
    compiled = artifact.read(tmp_path / "out" / "customer-360" / ARTIFACT_FILE)
    assert references(compiled) == [
        "FLOE_CATALOG_CLIENT_ID",
        "FLOE_CATALOG_CLIENT_SECRET",
        "FLOE_S3_ACCESS_KEY_ID",
        "FLOE_S3_SECRET_ACCESS_KEY",
    ]
    for name in references(compiled):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLOE_S3_ACCESS_KEY_ID", "from-env")
    plugin = install_secrets(compiled)
    assert plugin.name == "env"
    assert os.environ["FLOE_S3_ACCESS_KEY_ID"] == "from-env"
    # Missing ones stay missing (loading a code location needs none); using one says so.
    assert "FLOE_S3_SECRET_ACCESS_KEY" not in os.environ
    with pytest.raises(FloeError, match="FLOE_S3_SECRET_ACCESS_KEY"):
        SecretRef(env="FLOE_S3_SECRET_ACCESS_KEY").resolve()
