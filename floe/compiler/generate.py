"""GENERATE: write each product's files and the workspace listing every product in the folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe.artifact.io import ARTIFACT_FILE, canonical_json, write_if_changed
from floe.compiler.codegen import DEFINITIONS_FILE, CompiledProduct
from floe.plugins.base import OrchestratorPlugin
from floe.spec.schema import floe_spec_schema

WORKSPACE_FILE = "workspace.yaml"
SCHEMA_FILE = "floe.schema.json"


def generate(
    compiled: CompiledProduct, output_dir: Path, orchestrator: OrchestratorPlugin[Any]
) -> list[Path]:
    """Write the product's folder; rebuild workspace.yaml from every product folder present."""
    product_dir = output_dir / compiled.name
    product_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(compiled.files.items()):
        path = product_dir / name
        write_if_changed(path, text)
        written.append(path)
    locations = {
        p.parent.name: f"{p.parent.name}/{DEFINITIONS_FILE}"
        for p in sorted(output_dir.glob(f"*/{ARTIFACT_FILE}"))
    }
    workspace = output_dir / WORKSPACE_FILE
    write_if_changed(workspace, orchestrator.render_workspace(locations))
    schema = output_dir / SCHEMA_FILE
    write_if_changed(schema, canonical_json(floe_spec_schema()))
    return [*written, workspace, schema]
