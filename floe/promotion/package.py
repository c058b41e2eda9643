"""What a deployment needs, packed once: the compiled artifact, the files generated beside it
and the dbt project it runs, as one deterministic tar.gz (same build, same bytes, same digest)."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe.artifact import io as artifact_io
from floe.artifact.models import CompiledArtifacts
from floe.errors import PromotionError

if TYPE_CHECKING:
    from floe.promotion.oci import Registry

ARTIFACT_FILE = "compiled_artifacts.json"
SKIP = {"target", "logs", "dbt_packages", "__pycache__"}


def _files(folder: Path) -> list[Path]:
    """Symbolic links are followed: the compiled output links to the product's dbt folders,
    and the artifact must carry their content."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if d not in SKIP]
        found.extend(Path(root) / f for f in files)
    return sorted(found)


def pack(folder: Path, dest: Path) -> Path:
    """``folder`` is a product's compiled output (``<output-dir>/<product>``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in _files(folder):
            info = tarfile.TarInfo(path.relative_to(folder).as_posix())
            info.size = path.stat().st_size  # of the link's target
            info.mode = 0o644
            with path.open("rb") as fh:
                tar.addfile(info, fh)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue())
    return dest


def unpack(archive: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    return dest


def pull(registry: Registry, repo: str, digest: str, work: Path) -> Path:
    """The artifact ``repo@digest`` as the registry holds it (layers checked against their
    digests), unpacked into ``work / "content"``."""
    files = registry.pull(repo, digest, work / "pulled")
    layers = [f for f in files if f.name.endswith(".tar.gz")]
    if len(layers) != 1:
        raise PromotionError(f"{repo}@{digest} is not a floe artifact (no floe layer)")
    return unpack(layers[0], work / "content")


def summary(artifacts: CompiledArtifacts) -> dict[str, Any]:
    """The artifact's config blob: what policies decide on, readable without the layer."""
    return {
        "product": artifacts.product.name,
        "version": artifacts.product.version,
        "owner": artifacts.product.owner,
        "artifact_version": str(artifacts.version),
        "manifest_sha256": artifacts.sources.manifest_yaml,
        "namespace": artifacts.lakehouse.namespace,
        "models": [
            {"name": m.name, "layer": m.layer, "tests": len(m.tests)} for m in artifacts.models
        ],
    }


def read(folder: Path) -> CompiledArtifacts:
    return artifact_io.read(folder / ARTIFACT_FILE)


def write_config(artifacts: CompiledArtifacts, dest: Path) -> Path:
    dest.write_text(json.dumps(summary(artifacts), sort_keys=True), encoding="utf-8")
    return dest
