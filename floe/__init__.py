"""floe: compile floe.yaml + manifest.yaml into one artifact and run it on the platform."""

from floe.artifact.models import CompiledArtifacts as CompiledArtifacts
from floe.spec.floe_spec import FloeSpec as FloeSpec
from floe.spec.manifest import PlatformManifest as PlatformManifest

__version__ = "0.1.0"
