"""The CLI as a user meets it: readable errors, exit codes, never a traceback (FR-066)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floe.cli import invoke

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
LEAKS = ("Traceback", "site-packages", 'File "/', str(ROOT / "floe"))


def test_version_and_help() -> None:
    assert invoke(["--version"]).stdout.strip() == "floe 0.1.0"
    helped = invoke(["compile", "--help"])
    assert helped.exit_code == 0
    assert "LOAD, VALIDATE, RESOLVE, ENFORCE, COMPILE and GENERATE" in " ".join(
        helped.stdout.split()
    )


def test_missing_product_folder() -> None:
    result = invoke(["compile", "does-not-exist"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: floe.yaml: file not found at 'does-not-exist/floe.yaml'"
    )


def test_plugins_list_shows_builtin_plugins() -> None:
    result = invoke(["plugins", "list", "--json"])
    assert result.exit_code == 0
    rows = {(p["kind"], p["name"]): p for p in json.loads(result.stdout)}
    assert rows[("compute", "duckdb")]["distribution"] == "floe"
    assert rows[("catalog", "iceberg-rest")]["target"].endswith(":IcebergRestCatalogPlugin")
    assert ("orchestrator", "dagster") in rows
    # 14 kinds (the 15th ABC is the loader itself); ingestion, semantic layer: ABC only.
    assert len({kind for kind, _ in rows}) == 12
    table = invoke(["plugins", "list"])
    assert "15 plugin ABCs: 14 kinds, 12 with an implementation" in table.stdout


def test_console_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    """The installed 'floe' script, in a real process."""
    bad = tmp_path / "p"
    shutil.copytree(DEMO / "customer-360", bad)
    data = yaml.safe_load((bad / "floe.yaml").read_text())
    data["metadata"]["version"] = 42
    (bad / "floe.yaml").write_text(yaml.safe_dump(data))
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "floe"),
            "compile",
            str(bad),
            "-m",
            str(DEMO / "manifest.yaml"),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "FLOE_DEBUG": ""},
    )
    assert proc.returncode == 2
    assert "metadata.version: Input should be a valid string (got int 42)" in proc.stderr
    assert not any(leak in proc.stderr + proc.stdout for leak in LEAKS)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mangled_floe_yaml(draw: st.DrawFn) -> str:
    """The demo floe.yaml with a random key replaced, removed or added, or raw byte noise."""
    data = yaml.safe_load((DEMO / "customer-360" / "floe.yaml").read_text())
    how = draw(st.sampled_from(["replace", "remove", "add", "nested", "noise"]))
    if how == "noise":
        return draw(st.text(max_size=200))
    key = draw(st.sampled_from(sorted(data)))
    if how == "replace":
        data[key] = draw(yaml_values)
    elif how == "remove":
        del data[key]
    elif how == "add":
        data[draw(st.text(min_size=1, max_size=10))] = draw(yaml_values)
    else:
        sub = draw(st.sampled_from(["name", "version", "owner", "labels"]))
        data["metadata"][sub] = draw(yaml_values)
    return yaml.safe_dump(data, allow_unicode=True)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=mangled_floe_yaml())
def test_mangled_floe_yaml_never_shows_a_traceback(tmp_path: Path, text: str) -> None:
    product = tmp_path / "p"
    if not product.exists():
        shutil.copytree(DEMO / "customer-360", product)
    (product / "floe.yaml").write_text(text, encoding="utf-8")
    result = invoke(
        ["compile", str(product), "-m", str(DEMO / "manifest.yaml"), "-o", str(tmp_path / "out")]
    )
    output = result.stdout + result.stderr
    assert not any(leak in output for leak in LEAKS), output
    if result.exit_code != 0:
        assert result.exit_code in (1, 2, 3), output
        assert [ln for ln in result.stderr.splitlines() if ln.startswith("Error: ")] != [], output


def test_a_second_platform_up_on_the_same_home_is_refused_while_one_runs(tmp_path: Path) -> None:
    import fcntl

    from floe.errors import PlatformError
    from floe.platform.local import LOCK_FILE, LocalPlatform
    from floe.platform.settings import load

    home = tmp_path / "home"
    home.mkdir()
    with open(home / LOCK_FILE, "w") as held:  # what a running 'up' holds
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(PlatformError, match="another 'floe platform up' or 'down'"):
            LocalPlatform(load(home, 900)).up()
    assert sorted(p.name for p in home.iterdir()) == [LOCK_FILE]  # nothing was started
