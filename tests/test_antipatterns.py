"""The lint for the spec's forbidden test patterns catches each one (TQR-010..014)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from steps.harness.antipatterns import check_feature, check_python, lint

ROOT = Path(__file__).resolve().parents[1]
SKIP = "pytest." + "skip"
MARK_SKIP = "@pytest.mark." + "skip"
XFAIL = "@pytest.mark." + "xfail"
TODO = "TO" + "DO"

CASES = [
    ("TQR-010", "def test_x(helm):\n    helm.install(chart='c', dry_run=True)\n"),
    ("TQR-010", "def test_x(run):\n    run(['floe', 'deploy', '--dry-run'])\n"),
    ("TQR-011", "def test_x(a):\n    assert a is not None\n"),
    ("TQR-011", "def test_x(items):\n    assert len(items) > 0\n"),
    ("TQR-011", "def test_x(items):\n    assert len(items) >= 1\n"),
    ("TQR-011", "def test_x(result):\n    assert result.success\n"),
    ("TQR-011", "def test_x():\n    assert True\n"),
    ("TQR-011", "def test_x(p):\n    assert p.exists()\n"),
    ("TQR-012", f"def test_x():\n    # {TODO}: validate traces\n    assert 1 == 1\n"),
    ("TQR-013", f"import pytest\ndef test_x():\n    {SKIP}('later')\n"),
    (
        "TQR-013",
        f"import pytest\n{MARK_SKIP}(reason='no service')\ndef test_x():\n    assert 1 == 1\n",
    ),
    ("TQR-013", f"import pytest\n{XFAIL}\ndef test_x():\n    assert 1 == 2\n"),
    (
        "TQR-014",
        "import duckdb\nfrom pytest_bdd import then\n"
        "@then('the Iceberg table holds 5 rows')\n"
        "def rows():\n    assert duckdb.sql('select count(*) from t').fetchone() == (5,)\n",
    ),
]


@pytest.mark.parametrize(("rule", "source"), CASES)
def test_each_pattern_is_caught(rule: str, source: str) -> None:
    found = check_python(Path("steps/x.py"), source)
    assert [v.rule for v in found] == [rule], found


def test_value_assertions_pass() -> None:
    source = (
        "def test_x(table, result, items):\n"
        "    assert table.name == 'gold'\n"
        "    assert result.output['rows'] == 6\n"
        "    assert items == ['a', 'b']\n"
        "    assert len(items) == 2\n"
        "    msg = 'pytest.skip and dry_run=True inside a string are fine'\n"
    )
    assert check_python(Path("steps/ok.py"), source) == []


def test_feature_file_patterns() -> None:
    text = (
        f"Feature: f\n  @skip\n  Scenario: s\n    # {TODO} finish\n"
        "    Given a dry run of the chart\n"
    )
    assert [v.rule for v in check_feature(Path("f.feature"), text)] == [
        "TQR-013",
        "TQR-012",
        "TQR-010",
    ]


def test_repository_is_clean() -> None:
    paths = [ROOT / "features", ROOT / "steps", ROOT / "tests", ROOT / "conftest.py"]
    assert [str(v) for v in lint(paths)] == []


def test_planted_skip_in_a_step_file_fails_the_lint(tmp_path: Path) -> None:
    """What 'make test' runs, against a copy of steps/ with one planted skip."""
    copy = tmp_path / "steps"
    shutil.copytree(ROOT / "steps", copy)
    target = copy / "compiler.py"
    target.write_text(
        target.read_text() + f"\n\ndef planted():\n    import pytest\n    {SKIP}('x')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "steps.harness.antipatterns", str(copy)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1
    assert f"{copy / 'compiler.py'}:" in proc.stdout and "TQR-013 skip is forbidden" in proc.stdout
