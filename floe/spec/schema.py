"""JSON Schema of floe.yaml, for IDE autocomplete (yaml-language-server, VS Code, JetBrains)."""

from __future__ import annotations

from typing import Any

from floe.spec.floe_spec import FloeSpec
from floe.spec.manifest import PlatformManifest

SCHEMA_ID = "https://floe.dev/schemas/floe-spec/v1.json"


def floe_spec_schema() -> dict[str, Any]:
    schema = FloeSpec.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    return schema


def manifest_schema() -> dict[str, Any]:
    schema = PlatformManifest.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
