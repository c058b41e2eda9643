"""Mutated floe.yaml and manifest.yaml files, compiled through the CLI as a user (or an
attacker) would: every outcome is a clean exit with a message, never a crash (exit 70) or a
traceback. Hypothesis keeps the failing example small when one appears."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floe.cli.main import invoke
from floe.errors import ExitCode

DEMO = Path(__file__).resolve().parents[1] / "demo"
LEAK = ("Traceback", "site-packages", 'File "/')

values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(["[/x]", "[bold]", "{{ 7*7 }}", "../../etc", "^(", "*/0 * * * *", "env"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


def _mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[key]
    elif action == "add" and isinstance(parent, dict):
        parent[f"x_{key}"] = value
    else:
        parent[key] = value
    return doc


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "demo"
    shutil.copytree(DEMO / "customer-360", root / "customer-360")
    shutil.copy(DEMO / "manifest.yaml", root / "manifest.yaml")
    return root / "customer-360"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    which=st.sampled_from(["floe.yaml", "manifest.yaml"]),
    pick=st.integers(min_value=0, max_value=10_000),
    action=st.sampled_from(["replace", "delete", "add"]),
    value=values,
)
def test_a_mutated_input_never_crashes_the_compiler(
    product: Path,
    tmp_path_factory: pytest.TempPathFactory,
    which: str,
    pick: int,
    action: str,
    value: Any,
) -> None:
    files = {"floe.yaml": product / "floe.yaml", "manifest.yaml": product.parent / "manifest.yaml"}
    originals = {name: path.read_text() for name, path in files.items()}
    try:
        doc = yaml.safe_load(originals[which])
        paths = _paths(doc)
        _mutate(doc, paths[pick % len(paths)], action, value)
        files[which].write_text(yaml.safe_dump(doc, allow_unicode=True))
        out = tmp_path_factory.mktemp("out")
        result = invoke(["compile", str(product), "--output-dir", str(out)])
    finally:
        for name, path in files.items():
            path.write_text(originals[name])
    assert result.exit_code != ExitCode.INTERNAL, result.stderr
    assert result.exit_code in {e.value for e in ExitCode}, result.exit_code
    assert not any(leak in result.stderr for leak in LEAK), result.stderr
    if result.exit_code != 0:
        assert result.stderr.startswith("Error: "), result.stderr
