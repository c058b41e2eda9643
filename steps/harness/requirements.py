"""The spec's requirement ids (FR, SC, TQR), imported once into features/requirements.json.

Run ``python -m steps.harness.requirements PATH/TO/spec.md`` to refresh the file after the spec
changes; the suite reads only the JSON, so it needs no copy of the spec at test time.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REQUIREMENTS_FILE = Path(__file__).resolve().parents[2] / "features" / "requirements.json"
ID_RE = re.compile(r"\b(FR|SC|TQR)-\d{3}\b")
DEFINITION_RE = re.compile(r"^\s*(?:- )?\*\*((?:FR|SC|TQR)-\d{3})(?:\*\*:|:)\s*(.+?)\**$")


def import_spec(spec: Path) -> dict[str, dict[str, object]]:
    """Every id the spec mentions; ``defined`` is false for ids only referred to in prose."""
    text = spec.read_text(encoding="utf-8")
    found: dict[str, dict[str, object]] = {}
    for line in text.splitlines():
        m = DEFINITION_RE.match(line)
        if m and m.group(1) not in found:
            found[m.group(1)] = {
                "kind": m.group(1).split("-")[0],
                "text": m.group(2).replace("**", "").strip(),
                "defined": True,
            }
    for m in ID_RE.finditer(text):
        rid = m.group(0)
        found.setdefault(
            rid,
            {"kind": m.group(1), "text": "mentioned in the spec, never defined", "defined": False},
        )
    return dict(sorted(found.items()))


def load() -> dict[str, dict[str, object]]:
    return json.loads(REQUIREMENTS_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


if __name__ == "__main__":
    ids = import_spec(Path(sys.argv[1]))
    REQUIREMENTS_FILE.write_text(
        json.dumps(ids, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    kinds = {k: sum(1 for v in ids.values() if v["kind"] == k) for k in ("FR", "SC", "TQR")}
    print(f"wrote {REQUIREMENTS_FILE.name}: {kinds}")
