"""The artifact's secrets plugin, installed for this process: references resolve through it,
and dbt (which only reads its environment) gets each referenced value exported."""

from __future__ import annotations

import os
from typing import Any, cast

from floe.artifact.models import CompiledArtifacts
from floe.errors import FloeError
from floe.plugins.base import SecretsPlugin
from floe.plugins.registry import default_loader
from floe.spec.secrets import use_resolver


def references(compiled: CompiledArtifacts) -> list[str]:
    """Every ``{env: NAME}`` the artifact's plugin configs hold."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if set(value) == {"env"} and isinstance(value["env"], str):
                found.add(value["env"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for _, plugin in compiled.plugins:
        if plugin is not None:
            walk(plugin.config)
    return sorted(found)


def install_secrets(compiled: CompiledArtifacts) -> SecretsPlugin[Any]:
    choice = compiled.plugins.secrets
    plugin = cast(
        SecretsPlugin[Any], default_loader().create("secrets", choice.type, choice.config)
    )
    use_resolver(plugin.resolve)
    for name in references(compiled):
        if name in os.environ:
            continue
        try:
            os.environ[name] = plugin.resolve(name)
        except FloeError:
            # Loading a code location needs no secret; the step that uses one says it is missing.
            continue
    return plugin
