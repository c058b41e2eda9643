"""The six compile stages run in order for one product, in one trace."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from floe.artifact.models import CompiledArtifacts
from floe.compiler import DEFAULT_OUTPUT_DIR, RUN_PROJECT_DIR
from floe.compiler.codegen import compile_product
from floe.compiler.enforce import enforce
from floe.compiler.evolution import load_baseline
from floe.compiler.generate import generate
from floe.compiler.load import load_inputs
from floe.compiler.resolve import resolve
from floe.compiler.stages import Stage, StageLog, StageRecord
from floe.compiler.validate import validate_inputs
from floe.observability.tracing import tracer
from floe.plugins.base import OrchestratorPlugin, PluginLoader
from floe.plugins.registry import default_loader


@dataclass(frozen=True)
class CompileResult:
    artifacts: CompiledArtifacts
    output_dir: Path
    files: list[Path]
    stages: list[StageRecord]
    manifest_path: Path
    warnings: list[str] = field(default_factory=list)
    manifest_ref: str | None = None


def compile_pipeline(
    product: Path,
    *,
    manifest: Path | None = None,
    output_dir: Path = DEFAULT_OUTPUT_DIR,
    loader: PluginLoader | None = None,
) -> CompileResult:
    """Run LOAD -> VALIDATE -> RESOLVE -> ENFORCE -> COMPILE -> GENERATE for one product.

    Raises:
        floe.errors.SpecValidationError: a file breaks its schema (the pydantic
            ``ValidationError`` is chained as ``__cause__``).
        floe.errors.GovernanceError: ENFORCE refused the product.
    """
    loader = loader or default_loader()
    log = StageLog(product.name if product.is_dir() else product.parent.name)
    # One trace per compile: the six stage spans are children of this one.
    with tracer().start_as_current_span("floe.compile") as root:
        with log.stage(Stage.LOAD):
            loaded = load_inputs(product, manifest)
        with log.stage(Stage.VALIDATE):
            validated = validate_inputs(loaded)
        log.product = validated.spec.metadata.name
        root.set_attribute("floe.product", log.product)
        name = validated.spec.metadata.name
        # dbt compiles the run project in a scratch folder at the same depth as its final
        # place (so its relative links are the same); a refused product leaves nothing behind.
        created = not output_dir.exists()
        scratch = output_dir / f".resolving-{name}"
        try:
            with log.stage(Stage.RESOLVE):
                resolved = resolve(validated, loader, scratch / RUN_PROJECT_DIR)
            with log.stage(Stage.ENFORCE):
                warnings = enforce(resolved, loader, load_baseline(output_dir / name))
            with log.stage(Stage.COMPILE):
                compiled = compile_product(resolved, RUN_PROJECT_DIR)
            with log.stage(Stage.GENERATE):
                orchestrator = cast(OrchestratorPlugin[Any], resolved.plugins["orchestrator"])
                files = generate(compiled, output_dir, orchestrator)
                resolved.lay_out_run_project(output_dir / name / RUN_PROJECT_DIR)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if created and output_dir.is_dir() and not any(output_dir.iterdir()):
                output_dir.rmdir()
    return CompileResult(
        compiled.artifacts,
        output_dir,
        files,
        list(log.records),
        loaded.manifest_path,
        validated.warnings + warnings,
        loaded.manifest_ref,
    )
