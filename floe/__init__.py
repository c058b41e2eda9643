"""floe: compile floe.yaml + manifest.yaml into one artifact and run it on the platform.

The models are exported lazily: building their pydantic classes costs a quarter of a second,
which every CLI command would otherwise pay, even one that never reads a spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe.lazy import exports

if TYPE_CHECKING:
    from floe.artifact.models import CompiledArtifacts as CompiledArtifacts
    from floe.spec.floe_spec import FloeSpec as FloeSpec
    from floe.spec.manifest import PlatformManifest as PlatformManifest

__version__ = "0.1.0"

__getattr__ = exports(
    __name__,
    {
        "CompiledArtifacts": "floe.artifact.models",
        "FloeSpec": "floe.spec.floe_spec",
        "PlatformManifest": "floe.spec.manifest",
    },
)
