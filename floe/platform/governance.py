"""The platform runs only artifacts compiled against its own manifest.

A product's floe.yaml can name any manifest and ``floe compile --manifest`` takes any file, so a
product author could compile against a lax manifest of their own. The platform team registers
its manifest with the platform (``floe platform up --manifest``); every artifact records the
digest of the manifest it was compiled against, and ``floe run``, re-execution and the code
location that loads it all refuse one whose digest differs. A refusal is a security event.
"""

from __future__ import annotations

from floe.artifact.models import CompiledArtifacts
from floe.errors import GovernanceError
from floe.observability.logging import get_logger

_LOG = get_logger("floe.security")


def check_manifest(compiled: CompiledArtifacts, platform_sha256: str | None, where: str) -> None:
    """Raise (and log a security event) unless ``compiled`` used the platform's manifest."""
    if platform_sha256 is None or compiled.sources.manifest_yaml == platform_sha256:
        return
    product = compiled.product.name
    _LOG.warning(
        "security.artifact_refused",
        reason="manifest_mismatch",
        product=product,
        artifact_manifest_sha256=compiled.sources.manifest_yaml,
        platform_manifest_sha256=platform_sha256,
        where=where,
    )
    raise GovernanceError(
        [
            f"'{product}' was compiled against a manifest (sha256 "
            f"{compiled.sources.manifest_yaml[:12]}) that is not this platform's (sha256 "
            f"{platform_sha256[:12]}); {where} refused it. Fix: compile it with the platform "
            "team's manifest: floe compile PRODUCT --manifest <the manifest registered with "
            "'floe platform up --manifest'>"
        ]
    )
