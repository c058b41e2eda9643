"""The input and artifact models: strict, frozen, secrets never plain strings (FR-065)."""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

import floe.artifact.models as artifact_models
import floe.spec.floe_spec as floe_spec_module
import floe.spec.manifest as manifest_module
from floe.plugins.builtin import catalog_iceberg_rest, compute_duckdb, storage_s3
from floe.spec import FloeSpec, PlatformManifest
from floe.spec.loader import load
from floe.spec.secrets import SecretRef

DEMO = Path(__file__).resolve().parents[1] / "demo"
SECRET_NAME = re.compile(r"(secret|password|token|api_key|access_key(_id)?|credential)$")


def _models() -> list[type[BaseModel]]:
    found = []
    for module in (
        artifact_models,
        floe_spec_module,
        manifest_module,
        catalog_iceberg_rest,
        compute_duckdb,
        storage_s3,
    ):
        found += [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, BaseModel) and c.__module__ == module.__name__
        ]
    return found


def test_every_model_is_frozen_and_forbids_extra_keys() -> None:
    models = _models()
    assert len(models) >= 20
    for model in models:
        assert model.model_config.get("frozen") is True, model.__name__
        assert model.model_config.get("extra") == "forbid", model.__name__


def test_secret_fields_are_references_or_secretstr() -> None:
    checked = 0
    for model in _models():
        hints = typing.get_type_hints(model)
        for name in model.model_fields:
            if SECRET_NAME.search(name):
                checked += 1
                assert hints[name] in (SecretRef, SecretStr), f"{model.__name__}.{name}"
    assert checked == 3  # catalog client_secret, storage access_key_id + secret_access_key


def test_secret_ref_resolves_to_secretstr_and_never_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_TEST_SECRET", "s3cr3t-value")
    value = SecretRef(env="FLOE_TEST_SECRET").resolve()
    assert isinstance(value, SecretStr)
    assert value.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t" not in repr(value) and "s3cr3t" not in str(value)


def test_missing_secret_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOE_NOT_SET", raising=False)
    with pytest.raises(Exception, match="FLOE_NOT_SET is not set"):
        SecretRef(env="FLOE_NOT_SET").resolve()


def test_demo_documents_load() -> None:
    manifest = load(PlatformManifest, DEMO / "manifest.yaml")
    assert manifest.plugins.compute.approved == ["duckdb", "spark"]
    assert manifest.plugins.catalog.config["client_secret"] == {"env": "FLOE_CATALOG_CLIENT_SECRET"}
    spec = load(FloeSpec, DEMO / "customer-360" / "floe.yaml")
    assert (spec.metadata.name, spec.metadata.labels["industry"]) == ("customer-360", "retail")


def test_models_are_immutable() -> None:
    spec = load(FloeSpec, DEMO / "iot-telemetry" / "floe.yaml")
    with pytest.raises(ValidationError, match="frozen"):
        spec.metadata.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("cron", ["every day", "* * *", "*/5 * * * * *", "0 0 * * MON;rm"])
def test_bad_cron_is_rejected(cron: str) -> None:
    raw = {
        "apiVersion": "floe.dev/v1",
        "kind": "FloeSpec",
        "metadata": {"name": "x-y", "version": "1.0.0", "owner": "me@x"},
        "schedule": {"cron": cron},
    }
    with pytest.raises(ValidationError, match="five-field cron"):
        FloeSpec.model_validate(raw)


def test_compute_default_must_be_approved() -> None:
    raw = {"type": "duckdb", "approved": ["spark"]}
    with pytest.raises(ValidationError, match="default compute 'duckdb' must be listed"):
        manifest_module.ComputeChoice.model_validate(raw)
