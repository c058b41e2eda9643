"""The dbt resource, pointed at the product's project and the generated profiles.yml."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource
from packaging import version

from floe.artifact.models import CompiledArtifacts
from floe.runtime.dbt_client import SOCKET_ENV


class FloeDbtCliResource(DbtCliResource):
    """Two things dagster-dbt does before each build that cost a run seconds and give floe
    nothing (both hooks are dagster-dbt's private methods, pinned by the lock file):

    - it asks the dbt executable for its version (``dbt --version``: a whole second start of
      dbt); when the executable is the dbt-core beside this Python, its metadata knows it;
    - it builds a dbt adapter in the run worker (importing dbt and the engine's adapter, 2.5 s
      here) for its row-count and column-metadata helpers, which floe does not call: row counts
      come from the Iceberg snapshots. dagster-dbt treats "no adapter" as "helpers off".
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_resource(compiled: CompiledArtifacts, base: Path) -> DbtCliResource:
    return FloeDbtCliResource(
        project_dir=str((base / compiled.dbt.project_dir).resolve()),
        profiles_dir=str((base / compiled.dbt.profiles_dir).resolve()),
        profile=compiled.dbt.profile_name,
        target=compiled.dbt.target,
        dbt_executable=dbt_executable(),
    )


def dbt_executable() -> str:
    """The dbt installed beside this Python, so a venv works without being on PATH; on a
    platform with a warm dbt server, ``floe-dbt``, which hands each command to it."""
    bin_dir = Path(sys.executable).parent
    if os.environ.get(SOCKET_ENV) and (bin_dir / "floe-dbt").is_file():
        return str(bin_dir / "floe-dbt")
    beside = bin_dir / "dbt"
    return str(beside) if beside.is_file() else (shutil.which("dbt") or "dbt")
