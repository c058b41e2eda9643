"""Acceptance-suite wiring: step libraries, tag handling, Allure labels, traceability."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import allure
import pytest

# The step libraries' asserts get pytest's detailed messages, though the harness imports one
# of them before pytest loads them as plugins.
pytest.register_assert_rewrite("steps")

from steps.harness.evidence import attach_step_evidence  # noqa: E402
from steps.harness.requirements import ID_RE  # noqa: E402
from steps.harness.traceability import ResultRecorder  # noqa: E402

pytest_plugins = [
    "steps.common",
    "steps.compiler",
    "steps.platform",
    "steps.pipeline",
    "steps.observability",
    "steps.plugins",
    "steps.security",
    "steps.kind",
    "steps.chart",
    "steps.evolution",
    "steps.lifecycle",
    "steps.concurrency",
    "steps.promotion",
    "steps.demo",
    "steps.suite",
]

# Requirement links open the id's row of the traceability matrix, written beside the report
# (reports/traceability.html next to reports/allure-report/).
MATRIX_URL = "../traceability.html#"
TARGET_TAGS = {
    "k8s": "needs a Kubernetes (Kind) cluster; deselected on the local target",
    "platform": "needs the local platform services running",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): spec id (FR/SC/TQR) a scenario proves")
    config.addinivalue_line("markers", "story(id): user story (US-n) a scenario belongs to")
    for tag, why in TARGET_TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {why}")
    config.pluginmanager.register(ResultRecorder(), "floe-traceability")


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """@FR-022 -> requirement marker + Allure label and link; @US-3 -> story; @k8s -> marker."""
    if ID_RE.fullmatch(tag):
        function = pytest.mark.requirement(tag)(function)
        function = allure.label("requirement", tag)(function)
        return allure.link(MATRIX_URL + tag, name=tag)(function)  # type: ignore[no-any-return]
    if tag.startswith("US-"):
        function = pytest.mark.story(tag)(function)
        return allure.story(tag)(function)  # type: ignore[no-any-return]
    if tag in TARGET_TAGS:
        return getattr(pytest.mark, tag)(function)  # type: ignore[no-any-return]
    raise pytest.UsageError(
        f"unknown tag @{tag}: use @US-n, a spec id, or one of {sorted(TARGET_TAGS)}"
    )


_FILE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Setup, call and teardown add up per file: a feature's cost includes its fixtures."""
    path = report.nodeid.split("::", 1)[0]
    _FILE_SECONDS[path] = _FILE_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Each feature's (and test file's) wall time, so the suite's cost stays visible."""
    if not _FILE_SECONDS:
        return
    terminalreporter.section("time per feature / test file")
    for path, seconds in sorted(_FILE_SECONDS.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{seconds:8.1f}s  {path}")
    terminalreporter.write_line(f"{sum(_FILE_SECONDS.values()):8.1f}s  total")


# What ran where the spec names a component this machine cannot run (DESIGN's stand-ins).
COMPONENTS = {
    "catalog": "SeaweedFS Iceberg REST catalog (Polaris on the chart)",
    "object storage": "SeaweedFS S3 (MinIO on the chart)",
    "trace store": "Arize Phoenix (Jaeger on the chart)",
    "lineage store": "floe's OpenLineage receiver, Marquez's API (Marquez on the chart)",
    "dashboards": "Prometheus console templates (Grafana on the chart)",
    "policy engine": "floe's policy gate, OPA's data API over regopy (OPA on the chart)",
    "artifact registry": "Distribution registry (docker-registry) with cosign signatures",
}


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Every scenario's result says which target it ran on (Allure's result exists by now)."""
    target = os.environ.get("FLOE_TARGET", "local")
    allure.dynamic.label("target", target)
    allure.dynamic.tag(f"target:{target}")


@pytest.hookimpl(tryfirst=True)  # before allure-pytest-bdd closes the step: attach inside it
def pytest_bdd_after_step(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Any,
    step_func_args: dict[str, Any],
) -> None:
    attach_step_evidence(request.node, step, step_func_args)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Allure's environment panel: the target, the versions and what stood in for what."""
    alluredir = session.config.getoption("allure_report_dir", default=None)
    if not alluredir:
        return
    from importlib import metadata

    lines = {
        "target": os.environ.get("FLOE_TARGET", "local"),
        "python": platform.python_version(),
        **{pkg: metadata.version(pkg) for pkg in ("dagster", "dbt-core", "pyiceberg", "duckdb")},
        **COMPONENTS,
    }
    path = Path(alluredir) / "environment.properties"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(f"{k.replace(' ', '.')}={v}\n" for k, v in lines.items()), encoding="utf-8"
    )
