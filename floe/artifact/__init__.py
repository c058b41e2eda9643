"""The compiled artifact (schema 0.5.0) and its reader/writer.

Exported lazily, like the package root: the CLI reaches ``floe.artifact.names`` without
building the artifact's models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe.lazy import exports

if TYPE_CHECKING:
    from floe.artifact.io import read as read
    from floe.artifact.io import write as write
    from floe.artifact.models import CompiledArtifacts as CompiledArtifacts

__getattr__ = exports(
    __name__,
    {
        "read": "floe.artifact.io",
        "write": "floe.artifact.io",
        "CompiledArtifacts": "floe.artifact.models",
    },
)
