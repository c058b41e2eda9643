"""Read floe.yaml / manifest.yaml into models, turning every failure into a message for people."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from floe.errors import SpecLoadError, SpecValidationError

M = TypeVar("M", bound=BaseModel)

# Keys a product cannot set because the platform team owns them.
PLATFORM_OWNED = {
    "catalog",
    "storage",
    "orchestrator",
    "plugins",
    "telemetry",
    "lineage",
    "secrets",
}


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML document that must be a mapping."""
    if not path.is_file():
        raise SpecLoadError(
            f"{path.name}: file not found at '{path}'",
            hint="check the path, or run the command from the product's folder",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SpecLoadError(
            f"{path.name}: cannot parse YAML{where}: {problem}",
            hint="fix the indentation or quoting on that line",
        ) from None
    except UnicodeDecodeError:
        raise SpecLoadError(f"{path.name}: not UTF-8 text", hint="save it as UTF-8") from None
    if not isinstance(data, dict):
        raise SpecLoadError(
            f"{path.name}: expected a YAML mapping at the top level, got {_kind(data)}",
            hint="start the file with 'apiVersion: floe.dev/v1'",
        )
    return data


def validate(model: type[M], data: dict[str, Any], file_label: str) -> M:
    """Validate and re-raise with one readable line per problem (the original is chained)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecValidationError(file_label, describe_errors(exc)) from exc


def load(model: type[M], path: Path) -> M:
    """LOAD + VALIDATE for one file."""
    return validate(model, read_yaml(path), path.name)


def describe_errors(exc: ValidationError) -> list[str]:
    """One line per pydantic error: field path, what was wrong, and the fix."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        kind = err["type"]
        if kind == "missing":
            text = f"{loc}: required field is missing. Fix: add '{err['loc'][-1]}'"
        elif kind == "extra_forbidden":
            key = str(err["loc"][-1])
            if len(err["loc"]) == 1 and key in PLATFORM_OWNED:
                text = (
                    f"{loc}: is owned by the platform team. "
                    "Fix: remove it from floe.yaml; it is set in manifest.yaml"
                )
            else:
                text = f"{loc}: unknown field. Fix: remove it or check its spelling"
        else:
            got = _kind(err.get("input"))
            text = f"{loc}: {err['msg']} (got {got})"
        lines.append(text)
    return lines


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (str, int, float, bool)):
        shown = repr(value)
        return f"{type(value).__name__} {shown[:40]}"
    return type(value).__name__
