"""Entry-point discovery. Built-in plugins are found exactly like third-party ones."""

from __future__ import annotations

import inspect
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from floe.errors import PluginComplianceError, PluginNotFoundError
from floe.plugins.base import PLUGIN_KINDS, Plugin, PluginLoader, group_for
from floe.typedef import FloeModel


class InstalledPlugin(FloeModel):
    """One entry point as installed: which distribution brought it, and at what version."""

    kind: str
    name: str
    distribution: str
    version: str
    target: str


class EntryPointPluginLoader(PluginLoader):
    """Looks plugins up in the ``floe.<kind>`` entry-point groups, loading each on first use."""

    def _entry_points(self, kind: str) -> dict[str, EntryPoint]:
        if kind not in PLUGIN_KINDS:
            raise PluginNotFoundError(
                f"unknown plugin kind '{kind}'",
                hint=f"use one of: {', '.join(sorted(PLUGIN_KINDS))}",
            )
        return {ep.name: ep for ep in entry_points(group=group_for(kind))}

    def available(self, kind: str) -> list[str]:
        return sorted(self._entry_points(kind))

    def installed(self, kind: str) -> list[InstalledPlugin]:
        """What ``pip install`` put in the group, without importing any plugin code."""
        found = []
        for name, ep in sorted(self._entry_points(kind).items()):
            dist = ep.dist
            found.append(
                InstalledPlugin(
                    kind=kind,
                    name=name,
                    distribution=dist.name if dist else "?",
                    version=dist.version if dist else "?",
                    target=ep.value,
                )
            )
        return found

    def get(self, kind: str, name: str) -> type[Plugin[Any]]:
        eps = self._entry_points(kind)
        if name not in eps:
            installed = ", ".join(sorted(eps)) or "none"
            raise PluginNotFoundError(
                f"no {kind} plugin named '{name}' is installed (installed: {installed})",
                hint=f"pick one of the installed ones, or pip install a package that provides "
                f"an entry point '{name}' in group '{group_for(kind)}'",
            )
        cls = eps[name].load()
        check_compliance(kind, name, cls)
        return cls  # type: ignore[no-any-return]


def check_compliance(kind: str, name: str, cls: object) -> None:
    """A plugin must subclass its kind's ABC and leave no abstract method unimplemented."""
    abc = PLUGIN_KINDS[kind]
    if not (inspect.isclass(cls) and issubclass(cls, abc)):
        raise PluginComplianceError(
            f"{kind} plugin '{name}' is not a subclass of {abc.__name__}",
            hint=f"make the class registered for '{name}' inherit from floe.plugins.{abc.__name__}",
        )
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        raise PluginComplianceError(
            f"{kind} plugin '{name}' does not implement: {', '.join(missing)}",
            hint=f"implement every abstract method of {abc.__name__}",
        )
    if getattr(cls, "name", None) != name:
        raise PluginComplianceError(
            f"{kind} plugin registered as '{name}' declares name={getattr(cls, 'name', None)!r}",
            hint="make the class attribute 'name' equal its entry-point name",
        )


@cache
def default_loader() -> EntryPointPluginLoader:
    """The process-wide registry."""
    return EntryPointPluginLoader()
