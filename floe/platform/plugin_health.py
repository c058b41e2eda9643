"""Each plugin the served products use, asked for its health while the platform boots and on
'floe platform status': a platform whose catalog plugin cannot reach the catalog is not up,
whatever the process table says."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from floe import artifact
from floe.artifact.io import ARTIFACT_FILE
from floe.platform.settings import PlatformSettings
from floe.plugins.registry import default_loader
from floe.typedef import FloeModel


class PluginHealth(FloeModel):
    kind: str
    name: str
    healthy: bool
    detail: str
    products: list[str]


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    """The platform's variables (secrets, URLs with the port offset) for the checks only."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def check_plugins(settings: PlatformSettings, env: Mapping[str, str]) -> list[PluginHealth]:
    """One entry per distinct (kind, implementation, config) among the served artifacts."""
    if settings.workspace is None or not settings.workspace.is_file():
        return []
    seen: dict[tuple[str, str, str], list[str]] = {}
    configs: dict[tuple[str, str, str], dict[str, object]] = {}
    for path in sorted(settings.workspace.parent.glob(f"*/{ARTIFACT_FILE}")):
        compiled = artifact.read(path)
        for kind, plugin in compiled.plugins:
            if plugin is None:
                continue
            key = (kind, plugin.type, json.dumps(plugin.config, sort_keys=True))
            seen.setdefault(key, []).append(compiled.product.name)
            configs[key] = plugin.config
    loader = default_loader()
    results = []
    with _environment(env):
        for key, products in sorted(seen.items()):
            kind, name, _ = key
            try:
                status = loader.create(kind, name, configs[key]).health_check()
                healthy, detail = status.healthy, status.detail
            except Exception as exc:  # a failing check is a result, never a crash
                healthy, detail = False, str(exc).splitlines()[0] if str(exc) else repr(exc)
            results.append(
                PluginHealth(
                    kind=kind, name=name, healthy=healthy, detail=detail, products=sorted(products)
                )
            )
    return results
