"""The compiled artifact (schema 0.5.0) and its reader/writer.

Exported lazily, like the package root: the CLI reaches ``floe.artifact.names`` without
building the artifact's models.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from floe.artifact.io import read as read
    from floe.artifact.io import write as write
    from floe.artifact.models import CompiledArtifacts as CompiledArtifacts

_EXPORTS = {
    "read": "floe.artifact.io",
    "write": "floe.artifact.io",
    "CompiledArtifacts": "floe.artifact.models",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'floe.artifact' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
