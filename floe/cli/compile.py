"""floe compile: one or more products into CompiledArtifacts and generated files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from floe.artifact.names import ARTIFACT_FILE
from floe.cli.output import err, out
from floe.compiler import DEFAULT_OUTPUT_DIR, cache

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
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Compile even when nothing changed since the last compile into this folder.",
        ),
    ] = False,
) -> None:
    """Compile floe.yaml + manifest.yaml through LOAD, VALIDATE, RESOLVE, ENFORCE, COMPILE and
    GENERATE. Same inputs give byte-identical output.

    A product whose inputs (its folder, the manifest, floe and its plugins) and outputs are
    unchanged since its last compile into the same folder is answered without compiling again
    ('unchanged' in the last column)."""
    tracing = _trace_to_platform()
    table = Table(
        "product", "models", "bronze/silver/gold", "tests", "compute", "artifact", "compile"
    )
    for product in products:
        answer = None if no_cache else cache.lookup(product, manifest, output_dir)
        if answer is None:
            answer = _compile(product, manifest, output_dir)
            status = "compiled"
        else:
            status = "unchanged"
        for warning in answer.warnings:
            err().print(Text(f"warning: {answer.product}: {warning}", "yellow"))
        artifact = output_dir / answer.product / ARTIFACT_FILE
        table.add_row(*answer.row, str(artifact), status)
    out().print(table)
    if tracing:
        from floe.observability import tracing as traces

        traces.flush(3000)


def _compile(product: Path, manifest: Path | None, output_dir: Path) -> cache.CachedCompile:
    from floe.compiler import RUN_PROJECT_DIR, compile_pipeline

    result = compile_pipeline(product, manifest=manifest, output_dir=output_dir)
    a = result.artifacts
    layers = "/".join(
        str(sum(1 for m in a.models if m.layer == layer)) for layer in ("bronze", "silver", "gold")
    )
    row = [
        a.product.name,
        str(len(a.models)),
        layers,
        str(a.dbt.test_count),
        a.plugins.compute.type,
    ]
    answer = cache.CachedCompile(a.product.name, row, list(result.warnings))
    cache.store(
        product,
        manifest,
        output_dir,
        manifest_path=result.manifest_path,
        manifest_ref=result.manifest_ref,
        files=result.files,
        run_dir=output_dir / a.product.name / RUN_PROJECT_DIR,
        answer=answer,
    )
    return answer


def _trace_to_platform() -> bool:
    """With a platform's environment loaded ('floe platform env'), compile stages are traced to
    its collector under service 'floe-compiler'; otherwise spans cost nothing."""
    import os

    from floe import config

    endpoint = os.environ.get(config.FLOE_OTLP_ENDPOINT)
    if endpoint:
        from floe.observability import tracing

        tracing.install(COMPILER_SERVICE, endpoint)
    return bool(endpoint)
