"""floe schema export: JSON Schema for IDE autocomplete of floe.yaml (and the other documents)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from floe.cli.output import out

app = typer.Typer(help="JSON Schemas of floe's documents.", no_args_is_help=True)


class Document(StrEnum):
    floe = "floe"
    manifest = "manifest"
    artifact = "artifact"


@app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    document: Annotated[
        Document, typer.Option("--document", "-d", help="Which document's schema.")
    ] = Document.floe,
) -> None:
    """Print (or write) the JSON Schema of floe.yaml, manifest.yaml or the compiled artifact.

    Point your editor at it, e.g. add `# yaml-language-server: $schema=floe.schema.json` as the
    first line of floe.yaml."""
    from floe.artifact.io import canonical_json, json_schema
    from floe.spec.schema import floe_spec_schema, manifest_schema

    schema = {
        Document.floe: floe_spec_schema,
        Document.manifest: manifest_schema,
        Document.artifact: json_schema,
    }[document]()
    text = canonical_json(schema)
    if output is None:
        out().print(text, end="", markup=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        out().print(f"wrote {document.value} schema to {output}")
