"""The plugin ABCs' public surface, recorded so that a change to it is always deliberate.

Within a major version (FR-056) a plugin written against floe 0.x keeps working: no public
method or class attribute of an ABC may disappear or change its signature, and no new abstract
method may appear (every existing plugin would stop loading). Additions with a default are
fine. ``python -m floe.plugins.abi --write`` records the current surface in ``abi.json``; the
compliance suite compares against it.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

from floe.plugins.base import PLUGIN_KINDS, Plugin, PluginLoader

SNAPSHOT = Path(__file__).with_name("abi.json")
MAJOR = 0


def _surface(cls: type) -> dict[str, Any]:
    methods: dict[str, str] = {}
    for name, member in sorted(vars(cls).items()):
        if name.startswith("_") and name != "__init__":
            continue
        if inspect.isfunction(member):
            methods[name] = str(inspect.signature(member))
    abstract = sorted(getattr(cls, "__abstractmethods__", ()))
    attributes = sorted(
        name
        for name in getattr(cls, "__annotations__", {})
        if not name.startswith("_") and name not in methods
    )
    return {"methods": methods, "abstract": abstract, "attributes": attributes}


def snapshot() -> dict[str, Any]:
    classes: dict[str, type] = {"Plugin": Plugin, "PluginLoader": PluginLoader}
    classes.update({cls.__name__: cls for cls in PLUGIN_KINDS.values()})
    return {
        "major": MAJOR,
        "abcs": {name: _surface(cls) for name, cls in sorted(classes.items())},
    }


def breaking_changes(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What in ``current`` would break a plugin written against ``recorded``."""
    if recorded["major"] != current["major"]:
        return []  # a new major version may break; the snapshot is then rewritten
    problems = []
    for abc, old in recorded["abcs"].items():
        new = current["abcs"].get(abc)
        if new is None:
            problems.append(f"{abc} was removed")
            continue
        for method, signature in old["methods"].items():
            if method not in new["methods"]:
                problems.append(f"{abc}.{method} was removed")
            elif new["methods"][method] != signature:
                problems.append(
                    f"{abc}.{method} changed its signature: {signature} -> {new['methods'][method]}"
                )
        for attribute in old["attributes"]:
            if attribute not in new["attributes"]:
                problems.append(f"{abc}.{attribute} was removed")
        for method in sorted(set(new["abstract"]) - set(old["abstract"])):
            problems.append(f"{abc}.{method} is a new abstract method")
    return problems


def main(argv: list[str]) -> int:
    current = snapshot()
    if argv == ["--write"]:
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {SNAPSHOT.name}: {len(current['abcs'])} ABCs")
        return 0
    problems = breaking_changes(json.loads(SNAPSHOT.read_text(encoding="utf-8")), current)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
