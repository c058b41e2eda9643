"""Input documents: floe.yaml (FloeSpec) and manifest.yaml (PlatformManifest)."""

from floe.spec.floe_spec import FloeSpec as FloeSpec
from floe.spec.manifest import PlatformManifest as PlatformManifest
