"""Requirement ids, scenario parsing and the traceability matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steps.harness import traceability
from steps.harness.requirements import load

ROOT = Path(__file__).resolve().parents[1]


def test_requirement_ids_match_the_spec() -> None:
    ids = load()
    fr = [i for i, v in ids.items() if v["kind"] == "FR"]
    assert len(fr) == 76
    assert [i for i, v in ids.items() if not v["defined"]] == ["FR-155"]
    assert sum(1 for v in ids.values() if v["kind"] == "SC") == 10
    assert sum(1 for v in ids.values() if v["kind"] == "TQR") == 17
    assert ids["FR-016"]["text"].startswith("System MUST produce deterministic output")


def test_features_parse_with_inherited_tags() -> None:
    scenarios = traceability.parse_features()
    compilation = [s for s in scenarios if s.feature == "compilation.feature"]
    assert len(compilation) == 11
    first = compilation[0]
    assert "US-2" in first.tags and "FR-010" in first.ids
    assert all("US-2" in s.tags for s in compilation)


def test_matrix_counts_uncovered_and_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(traceability, "REPORTS", tmp_path)
    key = "compilation.feature::The same input gives the same bytes"
    (tmp_path / "results-local.json").write_text(json.dumps({key: "passed"}))
    matrix = traceability.write_matrix(tmp_path)
    row = {r["id"]: r for r in matrix["requirements"]}["FR-016"]
    assert row["scenarios"] == [
        {
            "feature": "compilation.feature",
            "name": key.split("::")[1],
            "results": {"local": "passed", "kind": "not run"},
        }
    ]
    assert matrix["totals"]["by_kind"] == {"FR": 76, "SC": 10, "TQR": 17}
    assert matrix["totals"]["uncovered"] == len(matrix["uncovered"])
    assert "FR-155" in matrix["uncovered"] and "FR-016" not in matrix["uncovered"]
    md = (tmp_path / "traceability.md").read_text()
    assert f"**Uncovered: {matrix['totals']['uncovered']}**" in md
    assert "| FR-016 |" in md and "<table>" in (tmp_path / "traceability.html").read_text()
