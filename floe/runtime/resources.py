"""The dbt resource, pointed at the product's project and the generated profiles.yml."""

from __future__ import annotations

import shutil
import sys
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version

from floe.artifact.models import CompiledArtifacts


class FloeDbtCliResource(DbtCliResource):
    """dagster-dbt asks the dbt executable for its version (``dbt --version``: a whole second
    start of dbt, seconds on every run) before each build. When the executable is the dbt-core
    installed beside this Python, the package metadata already knows that version."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version


def dbt_resource(compiled: CompiledArtifacts, base: Path) -> DbtCliResource:
    return FloeDbtCliResource(
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
