"""floe compile: one or more products into CompiledArtifacts and generated files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from floe.cli.output import err, out
from floe.compiler import DEFAULT_OUTPUT_DIR

COMPILER_SERVICE = "floe-compiler"


def compile_command(
    products: Annotated[
        list[Path],
        typer.Argument(
            help="Product folders (each holds floe.yaml at the root of its dbt project)."
        ),
    ],
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            "-m",
            help="manifest.yaml to compile against [default: floe.yaml's platform.manifest].",
        ),
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            "-o",
            help="Where artifacts, profiles.yml, definitions.py and workspace.yaml are written.",
        ),
    ] = DEFAULT_OUTPUT_DIR,
) -> None:
    """Compile floe.yaml + manifest.yaml through LOAD, VALIDATE, RESOLVE, ENFORCE, COMPILE and
    GENERATE. Same inputs give byte-identical output."""
    from floe.compiler import compile_pipeline

    _trace_to_platform()
    table = Table("product", "models", "bronze/silver/gold", "tests", "compute", "artifact")
    for product in products:
        result = compile_pipeline(product, manifest=manifest, output_dir=output_dir)
        for warning in result.warnings:
            err().print(Text(f"warning: {result.artifacts.product.name}: {warning}", "yellow"))
        a = result.artifacts
        layers = "/".join(
            str(sum(1 for m in a.models if m.layer == layer))
            for layer in ("bronze", "silver", "gold")
        )
        table.add_row(
            a.product.name,
            str(len(a.models)),
            layers,
            str(a.dbt.test_count),
            a.plugins.compute.type,
            str(output_dir / a.product.name / "compiled_artifacts.json"),
        )
    out().print(table)
    from floe.observability import tracing

    tracing.flush(3000)


def _trace_to_platform() -> None:
    """With a platform's environment loaded ('floe platform env'), compile stages are traced to
    its collector under service 'floe-compiler'; otherwise spans cost nothing."""
    import os

    from floe import config

    endpoint = os.environ.get(config.FLOE_OTLP_ENDPOINT)
    if endpoint:
        from floe.observability import tracing

        tracing.install(COMPILER_SERVICE, endpoint)
