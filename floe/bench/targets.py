"""The speed and memory targets, judged against the figures a benchmark run wrote.

Each target reads one figure from the results; a figure the run did not measure (e.g. the
fresh-clone demo without ``--fresh-clone``) is reported as not measured, never as met.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Results = dict[str, Any]


@dataclass(frozen=True)
class Target:
    name: str
    limit: float
    unit: str
    figure: Callable[[Results], float | None]

    def judge(self, results: Results) -> dict[str, Any]:
        try:
            value = self.figure(results)
        except (KeyError, TypeError, ZeroDivisionError):
            value = None
        verdict = "not measured" if value is None else ("met" if value <= self.limit else "not met")
        return {
            "target": self.name,
            "limit": self.limit,
            "unit": self.unit,
            "figure": None if value is None else round(value, 2),
            "verdict": verdict,
        }


def _pipeline(*keys: str) -> Callable[[Results], float]:
    def read(results: Results) -> float:
        value: Any = results["pipeline"]
        for key in keys:
            value = value[key]
        return float(value)

    return read


def _memory_growth(results: Results) -> float:
    m = results["pipeline"]
    return float(m["memory_after_runs"]["total_mb"]) - float(m["memory_after_demo"]["total_mb"])


def _compile_warm(results: Results) -> float:
    return max(float(r["warm_median_s"]) for r in results["compile"].values())


TARGETS = (
    Target(
        "orchestrated run - bare dbt build, scale 1",
        5,
        "s",
        _pipeline("orchestrated_vs_bare", "added_s"),
    ),
    Target(
        "orchestrated run / bare dbt build, scale 100",
        1.3,
        "x",
        _pipeline("scale_100x_orchestrated_vs_bare", "ratio"),
    ),
    Target(
        "platform RSS after make demo (3 products)",
        3072,
        "MB",
        _pipeline("memory_after_demo", "total_mb"),
    ),
    Target("platform RSS growth over ten further runs", 100, "MB", _memory_growth),
    Target("floe platform up, cold", 20, "s", _pipeline("platform_up_cold_s")),
    Target("floe platform up, warm", 10, "s", _pipeline("platform_up_warm_s")),
    Target("make demo, machine set up", 60, "s", _pipeline("demo_wall_s")),
    Target(
        "make demo from a fresh clone, setup included",
        120,
        "s",
        lambda r: float(r["fresh_clone"]["make_demo_s"]),
    ),
    Target("floe compile of an unchanged product (slowest product)", 0.5, "s", _compile_warm),
)


def judge(results: Results) -> list[dict[str, Any]]:
    return [target.judge(results) for target in TARGETS]


def table(verdicts: list[dict[str, Any]]) -> str:
    rows = [("target", "limit", "figure", "verdict")]
    for v in verdicts:
        figure = "-" if v["figure"] is None else f"{v['figure']:g} {v['unit']}"
        rows.append((v["target"], f"{v['limit']:g} {v['unit']}", figure, v["verdict"]))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)
