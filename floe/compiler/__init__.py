"""The compiler: floe.yaml + manifest.yaml -> CompiledArtifacts and generated files.

Examples:
    >>> from floe.compiler import compile_pipeline
    >>> result = compile_pipeline(Path("demo/customer-360"), output_dir=Path("target/floe"))
    >>> result.artifacts.version
    '0.5.0'

``compile_pipeline`` is imported on first use, so that ``floe compile`` of an unchanged
product, answered from the compile cache, never builds the compiler's models.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from floe.lazy import exports

if TYPE_CHECKING:
    from floe.compiler.pipeline import CompileResult as CompileResult
    from floe.compiler.pipeline import compile_pipeline as compile_pipeline

DEFAULT_OUTPUT_DIR = Path("target/floe")
RUN_PROJECT_DIR = "dbt"
"""Beside each artifact: the dbt project floe runs (see floe.plugins.builtin.dbt_core)."""


__getattr__ = exports(
    __name__,
    {"compile_pipeline": "floe.compiler.pipeline", "CompileResult": "floe.compiler.pipeline"},
)
