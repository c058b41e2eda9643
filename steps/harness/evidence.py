"""Step-level evidence for the Allure report: what each Then step asserted on.

A stakeholder opening a result should see the values behind a verdict (the command's exit code
and output, the run's row counts and statuses, the spans or events read back), not only a
green tick. After every Then step, each value the step received that carries evidence is
attached once per scenario, under the step's text and the argument's name.
"""

from __future__ import annotations

import json
from typing import Any

import allure
import pytest
from pydantic import BaseModel

from steps.common import CommandResult

LIMIT = 200_000  # characters per attachment: a full trace or event dump stays readable
_ATTACHED = pytest.StashKey[set[int]]()


def attach_step_evidence(item: pytest.Item, step: Any, args: dict[str, Any]) -> None:
    if getattr(step, "type", None) != "then":
        return
    attached = item.stash.setdefault(_ATTACHED, set())
    for name, value in args.items():
        body = _render(value)
        if body is None or id(value) in attached:
            continue
        attached.add(id(value))
        text, kind = body
        if len(text) > LIMIT:
            text = text[:LIMIT] + f"\n... ({len(text) - LIMIT} more characters)"
        allure.attach(text, name=f"{name} (read by: Then {step.name})", attachment_type=kind)


def _render(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, CommandResult):
        text = (
            f"$ floe {' '.join(value.args)}\nexit code {value.exit_code}\n"
            f"--- stdout\n{value.stdout}\n--- stderr\n{value.stderr}"
        )
        return text, allure.attachment_type.TEXT
    if isinstance(value, BaseModel):
        return value.model_dump_json(indent=2), allure.attachment_type.JSON
    if isinstance(value, dict | list) and value:
        try:
            return json.dumps(value, indent=2, default=str), allure.attachment_type.JSON
        except (TypeError, ValueError):
            return None
    return None
