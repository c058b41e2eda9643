"""`floe compile` of an unchanged product is answered from the compile cache; any change to
what a compile reads or wrote compiles again, so a cache hit can never hide an edit."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from floe.cli import invoke

DEMO = Path(__file__).resolve().parents[1] / "demo"


def _row(stdout: str, product: str) -> list[str]:
    line = next(line for line in stdout.splitlines() if f" {product} " in line)
    return [cell.strip() for cell in line.strip("│ ").split("│")]


def _status(stdout: str, product: str) -> str:
    """The 'compile' column of the product's row in the result table."""
    return _row(stdout, product)[-1]


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLOE_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(DEMO / "customer-360", tmp_path / "demo" / "customer-360")
    shutil.copy(DEMO / "manifest.yaml", tmp_path / "demo" / "manifest.yaml")
    return tmp_path / "demo" / "customer-360"


def test_unchanged_compile_is_answered_from_the_cache_and_every_change_compiles(
    product: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["compile", str(product), "-o", str(out)]

    first = invoke(args)
    assert first.exit_code == 0, first.stderr
    assert _status(first.stdout, "customer-360") == "compiled"
    written = _digest(out)

    again = invoke(args)
    assert again.exit_code == 0, again.stderr
    assert _status(again.stdout, "customer-360") == "unchanged"
    assert _row(again.stdout, "customer-360")[:5] == _row(first.stdout, "customer-360")[:5]
    assert _row(first.stdout, "customer-360")[:5] == ["customer-360", "6", "2/2/2", "22", "duckdb"]
    assert _digest(out) == written

    # A model edited: compiled again, and the artifact carries the edit.
    gold = product / "models" / "gold" / "gold_segments.sql"
    gold.write_text(gold.read_text() + "\n-- segment rules v2\n")
    edited = invoke(args)
    assert _status(edited.stdout, "customer-360") == "compiled"
    manifest_nodes = json.loads((out / "customer-360" / "dbt_manifest.json").read_text())
    assert "segment rules v2" in json.dumps(manifest_nodes)
    assert _status(invoke(args).stdout, "customer-360") == "unchanged"

    # A generated file touched by hand: compiled again, and restored byte for byte.
    definitions = out / "customer-360" / "definitions.py"
    kept = definitions.read_bytes()
    definitions.write_text("broken = True\n")
    assert _status(invoke(args).stdout, "customer-360") == "compiled"
    assert definitions.read_bytes() == kept

    # The manifest the product compiles against changed: compiled again.
    manifest = product.parent / "manifest.yaml"
    manifest.write_text(manifest.read_text() + "\n# reviewed\n")
    assert _status(invoke(args).stdout, "customer-360") == "compiled"

    # --no-cache compiles even when nothing changed.
    assert _status(invoke([*args, "--no-cache"]).stdout, "customer-360") == "compiled"


def test_a_refused_compile_is_never_answered_from_an_earlier_success(
    product: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["compile", str(product), "-o", str(out)]
    assert invoke(args).exit_code == 0
    spec = product / "floe.yaml"
    spec.write_text(spec.read_text().replace("name: customer-360", "name: Customer_360"))
    refused = invoke(args)
    assert refused.exit_code != 0
    assert "metadata.name" in refused.stderr
    refused_again = invoke(args)
    assert refused_again.exit_code == refused.exit_code
    assert refused_again.stderr == refused.stderr
