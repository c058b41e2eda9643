"""Write and read the artifact as canonical JSON (sorted keys, fixed indent, trailing newline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from floe.artifact.models import CompiledArtifacts
from floe.artifact.names import ARTIFACT_FILE as ARTIFACT_FILE
from floe.errors import ArtifactVersionError
from floe.typedef import ARTIFACT_VERSION


def canonical_json(data: Any) -> str:
    """The one serialisation used for every generated JSON file, so bytes are reproducible."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dump(artifacts: CompiledArtifacts) -> str:
    return canonical_json(artifacts.model_dump(mode="json", by_alias=True))


def write(artifacts: CompiledArtifacts, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_if_changed(path, dump(artifacts))


def write_if_changed(path: Path, text: str) -> None:
    """Leave mtime alone when nothing changed, so watchers (Dagster) do not reload for nothing."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def read(path: Path) -> CompiledArtifacts:
    """Load an artifact; a different schema version is refused with the fix."""
    data = json.loads(path.read_text(encoding="utf-8"))
    found = data.get("version") if isinstance(data, dict) else None
    if found != ARTIFACT_VERSION:
        raise ArtifactVersionError(
            f"{path.name} has artifact version {found!r}, this floe reads {ARTIFACT_VERSION}",
            hint="re-run 'floe compile' with this version of floe",
        )
    try:
        return CompiledArtifacts.model_validate(data)
    except ValidationError as exc:
        raise ArtifactVersionError(
            f"{path.name} does not match CompiledArtifacts {ARTIFACT_VERSION}: "
            f"{exc.error_count()} error(s)",
            hint="re-run 'floe compile'",
        ) from exc


def json_schema() -> dict[str, Any]:
    return CompiledArtifacts.model_json_schema(by_alias=True)
