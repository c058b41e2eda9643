"""The dbt resource, pointed at the product's project and the generated profiles.yml."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from floe.artifact.models import CompiledArtifacts


def dbt_resource(compiled: CompiledArtifacts, base: Path) -> DbtCliResource:
    return DbtCliResource(
        project_dir=str((base / compiled.dbt.project_dir).resolve()),
        profiles_dir=str((base / compiled.dbt.profiles_dir).resolve()),
        profile=compiled.dbt.profile_name,
        target=compiled.dbt.target,
        dbt_executable=dbt_executable(),
    )


def dbt_executable() -> str:
    """The dbt installed beside this Python, so a venv works without being on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.is_file() else (shutil.which("dbt") or "dbt")
