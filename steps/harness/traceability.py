"""The requirement traceability matrix: every spec id, the scenarios covering it, and results.

A pytest plugin (``steps.harness.traceability``) records each scenario's outcome per target in
``reports/results-<target>.json``; ``write_matrix`` joins those with every scenario found in
``features/*.feature`` and every id in ``features/requirements.json`` and writes
``reports/traceability.{md,json,html}``.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from steps.harness.requirements import ID_RE, load

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
# FLOE_REPORTS_DIR: a nested suite run (the e2e runner proving itself) keeps its results apart.
REPORTS = Path(os.environ.get("FLOE_REPORTS_DIR", ROOT / "reports"))
TARGETS = ("local", "kind")


def target() -> str:
    return os.environ.get("FLOE_TARGET", "local")


@dataclass
class Scenario:
    feature: str
    name: str
    tags: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.feature}::{self.name}"

    @property
    def ids(self) -> list[str]:
        return sorted({t for t in self.tags if ID_RE.fullmatch(t)})


def parse_features(folder: Path = FEATURES) -> list[Scenario]:
    """Scenarios with their own tags plus their feature's tags."""
    scenarios: list[Scenario] = []
    for path in sorted(folder.glob("*.feature")):
        pending: list[str] = []
        feature_tags: list[str] = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("@"):
                pending += [t.lstrip("@") for t in line.split() if t.startswith("@")]
            elif line.startswith("Feature:"):
                feature_tags, pending = pending, []
            elif re.match(r"(Scenario|Scenario Outline|Example):", line):
                name = line.split(":", 1)[1].strip()
                scenarios.append(Scenario(path.name, name, feature_tags + pending))
                pending = []
    return scenarios


def results_file(tgt: str) -> Path:
    return REPORTS / f"results-{tgt}.json"


SCENARIO_KEY = pytest.StashKey[str]()


class ResultRecorder:
    """Pytest plugin: outcome of each scenario on this target."""

    def __init__(self) -> None:
        self.results: dict[str, str] = {}

    def pytest_bdd_before_scenario(
        self, request: pytest.FixtureRequest, feature: Any, scenario: Any
    ) -> None:
        request.node.stash[SCENARIO_KEY] = f"{Path(feature.filename).name}::{scenario.name}"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[Any]
    ) -> Iterator[None]:
        outcome = yield
        report = outcome.get_result()
        key = item.stash.get(SCENARIO_KEY, None)
        if key is None:
            return
        reported = report.when == "call" or report.outcome != "passed"
        # An outline passes only if every example passes.
        if reported and self.results.get(key) != "failed":
            self.results[key] = "passed" if report.outcome == "passed" else "failed"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.results:
            return
        REPORTS.mkdir(exist_ok=True)
        path = results_file(target())
        merged: dict[str, str] = {}
        if path.is_file():
            merged = json.loads(path.read_text(encoding="utf-8"))
        merged.update(self.results)
        path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def build_matrix() -> dict[str, Any]:
    requirements = load()
    scenarios = parse_features()
    results = {
        t: json.loads(results_file(t).read_text(encoding="utf-8"))
        if results_file(t).is_file()
        else {}
        for t in TARGETS
    }
    rows = []
    for rid, info in requirements.items():
        covering = [s for s in scenarios if rid in s.ids]
        rows.append(
            {
                "id": rid,
                "kind": info["kind"],
                "text": info["text"],
                "defined": info["defined"],
                "scenarios": [
                    {
                        "feature": s.feature,
                        "name": s.name,
                        "results": {t: results[t].get(s.key, "not run") for t in TARGETS},
                    }
                    for s in covering
                ],
            }
        )
    uncovered = [r["id"] for r in rows if not r["scenarios"]]
    by_kind = {k: sum(1 for r in rows if r["kind"] == k) for k in ("FR", "SC", "TQR")}
    uncovered_by_kind = {
        k: sum(1 for r in rows if r["kind"] == k and not r["scenarios"])
        for k in ("FR", "SC", "TQR")
    }
    return {
        "targets": list(TARGETS),
        "totals": {
            "ids": len(rows),
            "by_kind": by_kind,
            "uncovered": len(uncovered),
            "uncovered_by_kind": uncovered_by_kind,
            "scenarios": len(scenarios),
        },
        "uncovered": uncovered,
        "requirements": rows,
    }


def _status(scen: list[dict[str, Any]], tgt: str) -> str:
    if not scen:
        return "uncovered"
    states = {s["results"][tgt] for s in scen}
    if "failed" in states:
        return "failed"
    if states == {"passed"}:
        return "passed"
    if "passed" in states:
        return "partly run"
    return "not run"


def write_matrix(out_dir: Path = REPORTS) -> dict[str, Any]:
    matrix = build_matrix()
    out_dir.mkdir(exist_ok=True)
    (out_dir / "traceability.json").write_text(
        json.dumps(matrix, indent=2) + "\n", encoding="utf-8"
    )
    t = matrix["totals"]
    lines = [
        "# Requirement traceability matrix",
        "",
        f"{t['ids']} requirement ids from the spec ({t['by_kind']['FR']} FR, {t['by_kind']['SC']} "
        f"SC, {t['by_kind']['TQR']} TQR); {t['scenarios']} scenarios in features/.",
        "",
        f"**Uncovered: {t['uncovered']}** (FR {t['uncovered_by_kind']['FR']}, SC "
        f"{t['uncovered_by_kind']['SC']}, TQR {t['uncovered_by_kind']['TQR']}). "
        "Targets: local (processes on this machine) and kind (Helm chart in a Kind cluster); "
        "'not run' means the scenario was not executed on that target.",
        "",
        "| id | requirement | scenarios | local | kind |",
        "|---|---|---|---|---|",
    ]
    for r in matrix["requirements"]:
        names = "<br>".join(f"{s['feature']}: {s['name']}" for s in r["scenarios"]) or "—"
        text = r["text"].replace("|", "\\|")[:140]
        if not r["defined"]:
            text = f"*{text}*"
        lines.append(
            f"| {r['id']} | {text} | {names} | {_status(r['scenarios'], 'local')} | "
            f"{_status(r['scenarios'], 'kind')} |"
        )
    lines += ["", "## Uncovered ids", "", ", ".join(matrix["uncovered"]) or "none", ""]
    (out_dir / "traceability.md").write_text("\n".join(lines), encoding="utf-8")
    (out_dir / "traceability.html").write_text(_html(matrix), encoding="utf-8")
    return matrix


def _html(matrix: dict[str, Any]) -> str:
    colors = {
        "passed": "#c8f7c5",
        "failed": "#f7c5c5",
        "uncovered": "#eeeeee",
        "not run": "#fff3c4",
        "partly run": "#fff3c4",
    }
    t = matrix["totals"]
    rows = []
    for r in matrix["requirements"]:
        scen = (
            "<br>".join(html.escape(f"{s['feature']}: {s['name']}") for s in r["scenarios"]) or "—"
        )
        cells = "".join(
            f'<td style="background:{colors[st]}">{st}</td>'
            for st in (_status(r["scenarios"], tg) for tg in matrix["targets"])
        )
        rows.append(
            f'<tr id="{r["id"]}"><td>{r["id"]}</td><td>{html.escape(r["text"])}</td>'
            f"<td>{scen}</td>{cells}</tr>"
        )
    return (
        "<!doctype html><meta charset=utf-8><title>floe traceability</title>"
        "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px;"
        "vertical-align:top}table{border-collapse:collapse}</style>"
        f"<h1>Requirement traceability</h1><p>{t['ids']} ids, {t['scenarios']} scenarios, "
        f"<b>{t['uncovered']} uncovered</b> (FR {t['uncovered_by_kind']['FR']}, "
        f"SC {t['uncovered_by_kind']['SC']}, TQR {t['uncovered_by_kind']['TQR']}).</p>"
        "<table><tr><th>id</th><th>requirement</th><th>scenarios</th><th>local</th><th>kind</th></tr>"
        + "".join(rows)
        + "</table>"
    )


if __name__ == "__main__":
    m = write_matrix()
    t = m["totals"]
    print(
        f"traceability: {t['ids']} ids ({t['by_kind']}), {t['uncovered']} uncovered "
        f"({t['uncovered_by_kind']}), {t['scenarios']} scenarios -> reports/traceability.md"
    )
