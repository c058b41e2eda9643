"""Steps that hold the acceptance suite to its own rules: the anti-pattern lint on the real
suite and on a planted copy, and ``make e2e``'s runner on a real subset of features.

The runner is started as ``make e2e`` starts it (``python -m steps.harness.e2e``), with its
results, reports, work folder and ports moved aside so that it cannot touch the suite that runs
it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from floe.platform.settings import BASE_PORTS, PlatformSettings
from steps.common import ROOT, CommandResult
from steps.harness import e2e
from steps.harness.traceability import parse_features

VIOLATION_RE = re.compile(r"^(?P<path>\S+):(?P<line>\d+): (?P<rule>TQR-\d+) ", re.M)
# The nested runner's platforms sit on ports no other platform of the suite uses.
NESTED_PORT_OFFSET = 1000
# Each line after the docstring and import breaks one rule; the number is the line it is on.
PLANTED = (
    '"""Planted by the acceptance suite: each line below breaks one rule."""\n'
    "import pytest\n"
    "\n"
    "\n"
    "def test_planted(helm):\n"
    '    result = helm.install(chart="floe-platform", dry_run=True)\n'
    "    assert result is not None\n"
    "    # TODO"
    ": check the release\n"
    '    pytest.skip("service not deployed")\n'
)
PLANTED_LINES = {"TQR-010": 6, "TQR-011": 7, "TQR-012": 8, "TQR-013": 9}
SUITE_PARTS = ("features", "steps", "tests", "conftest.py")


def _lint(paths: list[Path]) -> CommandResult:
    args = [sys.executable, "-m", "steps.harness.antipatterns", *map(str, paths)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    return CommandResult(args, done.returncode, done.stdout, done.stderr)


@pytest.fixture
def suite_run() -> dict[str, object]:
    return {}


## When


@when(
    "the anti-pattern lint runs over the suite's features, steps, tests and conftest.py",
    target_fixture="command",
)
def lint_suite() -> CommandResult:
    return _lint([ROOT / part for part in SUITE_PARTS])


@when(
    "a copy of the suite gets a step file with a dry-run install, an existence-only assert, "
    "a to-do comment and a skip",
    target_fixture="suite_copy",
)
def planted_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "suite"
    for part in SUITE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / part)
    (copy / "steps" / "planted.py").write_text(PLANTED, encoding="utf-8")
    return copy


@when("the anti-pattern lint runs over that copy", target_fixture="command")
def lint_copy(suite_copy: Path) -> CommandResult:
    return _lint([suite_copy / part for part in SUITE_PARTS])


@given("the e2e runner's order lists every feature file of the suite exactly once")
def order_is_complete() -> None:
    files = sorted(p.name.removesuffix(".feature") for p in (ROOT / "features").glob("*.feature"))
    counts = Counter(e2e.ORDER)
    assert [name for name, n in counts.items() if n > 1] == [], e2e.ORDER
    assert sorted(e2e.ORDER) == files, f"runner order {e2e.ORDER} vs feature files {files}"


@when(parsers.parse('the e2e runner is asked for "{features}"'), target_fixture="command")
def run_e2e(features: str, tmp_path: Path, suite_run: dict[str, object]) -> CommandResult:
    """The runner as `make e2e` starts it; everything it writes goes under tmp_path."""
    out = tmp_path / "e2e"
    suite_run.update(
        allure=out / "allure-results", report=out / "e2e-runs.json", work=out / "work", out=out
    )
    args = [
        sys.executable,
        "-m",
        "steps.harness.e2e",
        "--allure-dir",
        str(out / "allure-results"),
        "--report",
        str(out / "e2e-runs.json"),
        *features.split(),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FLOE_TEST_PORT"))}
    env.update(
        FLOE_TARGET="local",
        FLOE_TEST_PORT_OFFSET=str(NESTED_PORT_OFFSET),
        FLOE_E2E_WORK=str(out / "work"),
        FLOE_REPORTS_DIR=str(out / "reports"),
    )
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=1800
    )
    return CommandResult(args, done.returncode, done.stdout, done.stderr)


## Then


@then("the lint reports 0 violations and exits with code 0")
def lint_clean(command: CommandResult) -> None:
    assert VIOLATION_RE.findall(command.stdout) == [], command.stdout
    assert "anti-pattern lint: 0 violation(s)" in command.stdout, command.output
    assert command.exit_code == 0, command.output


@then(
    parsers.parse(
        'the lint reports exactly "{rules}" at the planted lines and exits with code {code:d}'
    )
)
def lint_planted(command: CommandResult, rules: str, code: int) -> None:
    found = sorted(
        (m["rule"], Path(m["path"]).name, int(m["line"]))
        for m in VIOLATION_RE.finditer(command.stdout)
    )
    wanted = sorted(
        (rule, "planted.py", PLANTED_LINES[rule]) for rule in (r.strip() for r in rules.split(","))
    )
    assert found == wanted, command.stdout
    assert f"anti-pattern lint: {len(wanted)} violation(s)" in command.stdout, command.stdout
    assert command.exit_code == code, command.output


@then(
    parsers.parse(
        'it ran "{first}" then "{second}", each in a pytest process of its own that exited 0'
    )
)
def ran_in_order(
    command: CommandResult, suite_run: dict[str, object], first: str, second: str
) -> None:
    assert command.exit_code == 0, command.output[-6000:]
    report = json.loads(Path(str(suite_run["report"])).read_text(encoding="utf-8"))
    assert [(r["feature"], r["exit_code"]) for r in report["features"]] == [
        (first, 0),
        (second, 0),
    ], report
    banners = re.findall(r"^=== (\w+) ===$", command.stdout, re.M)
    assert banners == [first, second], command.stdout[-3000:]
    # allure-pytest labels each result with the pid of the pytest process that ran it.
    pids: dict[str, set[str]] = {}
    for result in _results(suite_run):
        feature = result["fullName"].split("/", 1)[1].split(".feature:", 1)[0]
        thread = next(label["value"] for label in result["labels"] if label["name"] == "thread")
        pids.setdefault(feature, set()).add(thread.split("-", 1)[0])
    assert sorted(pids) == sorted([first, second]), pids
    assert all(len(p) == 1 for p in pids.values()), pids
    assert pids[first] != pids[second], pids
    assert str(os.getpid()) not in pids[first] | pids[second]


@then(
    "the runner found no process left from either feature, and nothing listens on the ports "
    "of the platforms they started"
)
def torn_down(suite_run: dict[str, object]) -> None:
    report = json.loads(Path(str(suite_run["report"])).read_text(encoding="utf-8"))
    assert {r["feature"]: r["leftovers"] for r in report["features"]} == {
        r["feature"]: [] for r in report["features"]
    }
    assert e2e.leftovers(Path(str(suite_run["work"]))) == []
    settings = PlatformSettings(home=Path(str(suite_run["work"])), port_offset=NESTED_PORT_OFFSET)
    listening = []
    for name in BASE_PORTS:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", settings.port(name))) == 0:
                listening.append(f"{name}:{settings.port(name)}")
    assert listening == [], f"still listening after the runner's teardown: {listening}"


@then(parsers.parse('the Allure results hold one passed result for each scenario of "{files}"'))
def allure_results(suite_run: dict[str, object], files: str) -> None:
    wanted = {n.strip() for n in files.split(",")}
    expected = sorted(
        f"{s.feature}:{s.name}"
        for s in parse_features()
        if s.feature in wanted and "k8s" not in s.tags
    )
    outcomes: dict[str, set[str]] = {}
    for result in _results(suite_run):
        key = result["fullName"].split("/", 1)[1]
        outcomes.setdefault(key, set()).add(result["status"])
    assert sorted(outcomes) == expected, sorted(set(outcomes) ^ set(expected))
    assert {k: v for k, v in outcomes.items() if v != {"passed"}} == {}


def _results(suite_run: dict[str, object]) -> list[dict[str, Any]]:
    folder = Path(str(suite_run["allure"]))
    return [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*-result.json")]
