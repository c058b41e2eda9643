"""Validates OpenLineage events against the spec's JSON schemas (features/schemas/openlineage).

The RunEvent schema only checks a facet's base fields; each facet is also checked against its
own schema, chosen by the facet's ``_schemaURL`` when that schema is one of the spec files.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "features" / "schemas" / "openlineage"
CORE_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


@cache
def _registry() -> tuple[Registry, dict[str, str]]:
    resources = []
    facet_ids: dict[str, str] = {}
    for path in [SCHEMA_DIR / "OpenLineage.json", *sorted((SCHEMA_DIR / "facets").glob("*.json"))]:
        doc = json.loads(path.read_text(encoding="utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
        facet_ids[doc["$id"]] = path.stem
    return Registry().with_resources(resources), facet_ids


def errors(event: dict[str, Any]) -> list[str]:
    """Every schema violation in ``event``, as 'path: message' lines (empty when valid)."""
    registry, facet_ids = _registry()
    core = Draft202012Validator({"$ref": f"{CORE_ID}#/$defs/RunEvent"}, registry=registry)
    found = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in core.iter_errors(event)]
    for where, facets in _facet_groups(event):
        for name, facet in facets.items():
            schema_id = str(facet.get("_schemaURL", "")).split("#", 1)[0]
            if schema_id not in facet_ids or schema_id == CORE_ID:
                continue
            validator = Draft202012Validator({"$ref": schema_id}, registry=registry)
            found += [
                f"{where}.{name}/{'/'.join(map(str, e.path))}: {e.message}"
                for e in validator.iter_errors({name: facet})
            ]
    return found


def _facet_groups(event: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    groups = [
        ("run.facets", event.get("run", {}).get("facets") or {}),
        ("job.facets", event.get("job", {}).get("facets") or {}),
    ]
    for kind in ("inputs", "outputs"):
        for i, ds in enumerate(event.get(kind) or []):
            groups.append((f"{kind}[{i}].facets", ds.get("facets") or {}))
            groups.append((f"{kind}[{i}].outputFacets", ds.get("outputFacets") or {}))
            groups.append((f"{kind}[{i}].inputFacets", ds.get("inputFacets") or {}))
    return groups
