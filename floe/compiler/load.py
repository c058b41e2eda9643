"""LOAD: read floe.yaml and manifest.yaml from disk as raw mappings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe.compiler import remote_manifest
from floe.errors import SpecLoadError
from floe.spec.loader import read_yaml

FLOE_FILE = "floe.yaml"


@dataclass(frozen=True)
class LoadedInputs:
    product_dir: Path
    spec_path: Path
    manifest_path: Path
    # The oci:// reference floe.yaml names, when the manifest was pulled from a registry.
    manifest_ref: str | None
    spec_raw: dict[str, Any]
    manifest_raw: dict[str, Any]
    spec_sha256: str
    manifest_sha256: str


def load_inputs(product: Path, manifest: Path | None) -> LoadedInputs:
    """``product`` is a product folder (holding floe.yaml) or the floe.yaml itself."""
    is_file = product.suffix in (".yaml", ".yml") and not product.is_dir()
    spec_path = product if is_file else product / FLOE_FILE
    spec_raw = read_yaml(spec_path)
    remote = None
    if manifest is None:
        ref = spec_raw.get("platform", {}) if isinstance(spec_raw.get("platform"), dict) else {}
        named = str(ref.get("manifest", "../manifest.yaml"))
        if remote_manifest.is_reference(named):
            remote = named
            manifest = remote_manifest.fetch(named, spec_path.name)
        else:
            manifest = spec_path.parent / named
    if not manifest.is_file():
        raise SpecLoadError(
            f"manifest.yaml not found at '{manifest}' (from {spec_path.name}: platform.manifest)",
            hint="pass --manifest PATH or set platform.manifest in floe.yaml",
        )
    manifest_raw = read_yaml(manifest)
    return LoadedInputs(
        product_dir=spec_path.parent,
        spec_path=spec_path,
        manifest_path=manifest,
        manifest_ref=remote,
        spec_raw=spec_raw,
        manifest_raw=manifest_raw,
        spec_sha256=hashlib.sha256(spec_path.read_bytes()).hexdigest(),
        manifest_sha256=hashlib.sha256(manifest.read_bytes()).hexdigest(),
    )
