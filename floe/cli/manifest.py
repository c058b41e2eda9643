"""floe manifest: the platform manifest published in the platform's registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from floe.cli.output import out

app = typer.Typer(
    help="Publish the platform manifest to the platform's OCI registry, so that products name "
    "it in floe.yaml as platform.manifest: oci://HOST/platform/NAME:VERSION."
)


@app.command("push")
def push(
    manifest: Annotated[
        Path, typer.Argument(help="The manifest.yaml to publish.", exists=True, dir_okay=False)
    ],
    home: Annotated[
        Path | None, typer.Option("--home", help="Platform folder [default: FLOE_HOME or ~/.floe].")
    ] = None,
) -> None:
    """Push MANIFEST as platform/<metadata.name>:<metadata.version>. The same bytes again change
    nothing; other bytes under a published version are refused."""
    from floe.compiler import remote_manifest
    from floe.platform.local import LocalPlatform
    from floe.platform.promotion_services import REGISTRY_USER
    from floe.platform.secrets import REGISTRY_PASSWORD
    from floe.platform.settings import load as load_settings
    from floe.promotion.oci import Registry
    from floe.spec.loader import load
    from floe.spec.manifest import PlatformManifest

    spec = load(PlatformManifest, manifest)
    platform = LocalPlatform(load_settings(home))
    client = Registry(
        platform.settings.url("registry"), REGISTRY_USER, platform.secrets[REGISTRY_PASSWORD]
    )
    ref, digest = remote_manifest.push(client, manifest, spec.metadata.name, spec.metadata.version)
    pinned = remote_manifest.Reference(ref.host, ref.repo, None, digest)
    out().print(f"published {ref}\n          {pinned}", markup=False, highlight=False)
