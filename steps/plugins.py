"""Steps on the plugin registry: discovery through entry points, the compliance suite, and a
third-party package installed with pip into this very environment (and removed again)."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from pytest_bdd import given, parsers, then, when

from floe.artifact.io import ARTIFACT_FILE
from floe.cli.main import invoke
from floe.errors import PluginComplianceError
from floe.plugins.abi import SNAPSHOT, breaking_changes, snapshot
from floe.plugins.base import PLUGIN_KINDS, ComputePlugin, HealthStatus
from floe.plugins.registry import check_compliance, default_loader
from floe.spec.common import QualityCheck
from steps.common import DEMO, ROOT, CommandResult
from steps.compiler import Workspace, _copy_product, _edit_yaml, _run

UV = Path(sys.executable).parent / "uv"


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",")]


## Given


@given("the plugin registry of this environment", target_fixture="registry")
def registry() -> Any:
    return default_loader()


@given(
    parsers.parse('a compute plugin class "{name}" that does not implement "{method}"'),
    target_fixture="half_done",
)
def half_done_plugin(name: str, method: str) -> type:
    assert method == "sql_error"

    class HalfDone(ComputePlugin):  # type: ignore[type-arg]
        dbt_adapter = "duckdb"

        def dbt_output(self, **_: Any) -> dict[str, Any]:
            return {}

    HalfDone.name = name
    return HalfDone


def _uv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UV), "pip", *args, "--python", sys.executable],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def pip_installed() -> Iterator[list[str]]:
    """Distributions a scenario installed; uninstalled at its end whatever happened."""
    installed: list[str] = []
    yield installed
    for dist in installed:
        _uv("uninstall", dist)
    importlib.invalidate_caches()


@given(parsers.parse('the package "{path}" is installed with pip'))
def install_package(path: str, pip_installed: list[str], tmp_path: Path) -> None:
    # Built from a copy: the build writes build/ beside pyproject.toml, never into the repo.
    source = shutil.copytree(ROOT / path, tmp_path / "package")
    dist = "floe-plugin-arrow-quality"
    assert (source / "pyproject.toml").read_text().count(f'name = "{dist}"') == 1
    pip_installed.append(dist)
    result = _uv("install", "--no-deps", str(source))
    assert result.returncode == 0, result.stderr
    importlib.invalidate_caches()


@given(
    parsers.parse(
        'a copy of the demo data product "{product}" whose manifest selects the quality plugin '
        '"{name}"'
    ),
    target_fixture="workspace",
)
def manifest_selects_quality(product: str, name: str, tmp_path: Path) -> Workspace:
    copy = _copy_product(tmp_path, product)
    _edit_yaml(
        copy.parent / "manifest.yaml",
        lambda d: d["plugins"].__setitem__("quality", {"type": name, "config": {}}),
    )
    return Workspace(copy, tmp_path / "out")


## When


@when("every entry point of every plugin group is loaded", target_fixture="loaded")
def load_all(registry: Any) -> dict[str, list[type]]:
    return {
        kind: [registry.get(kind, name) for name in registry.available(kind)]
        for kind in PLUGIN_KINDS
    }


@when(
    "floe plugins check runs the compliance suite on every installed plugin",
    target_fixture="command",
)
def plugins_check(monkeypatch: pytest.MonkeyPatch) -> CommandResult:
    # The catalog and identity examples name these secrets; their values are never used.
    monkeypatch.setenv("FLOE_CATALOG_CLIENT_ID", "compliance-id")
    monkeypatch.setenv("FLOE_CATALOG_CLIENT_SECRET", "compliance-secret")
    return _run(["plugins", "check"])


@when("the registry checks it against its ABC", target_fixture="refusal")
def check_half_done(half_done: type) -> PluginComplianceError:
    with pytest.raises(PluginComplianceError) as caught:
        check_compliance("compute", half_done.name, half_done)  # type: ignore[attr-defined]
    return caught.value


@when("the package is uninstalled and floe compile runs on it again", target_fixture="command")
def uninstall_and_compile(workspace: Workspace, pip_installed: list[str]) -> CommandResult:
    for dist in pip_installed:
        result = _uv("uninstall", dist)
        assert result.returncode == 0, result.stderr
    pip_installed.clear()
    importlib.invalidate_caches()
    return _run(["compile", str(workspace.product_dir), "--output-dir", str(workspace.out / "2")])


## Then


@then("15 plugin ABCs are defined: the registry and 14 plugin kinds")
def fifteen_abcs() -> None:
    from floe import plugins as api

    abcs = {
        name
        for name in dir(api)
        if isinstance(getattr(api, name), type)
        and getattr(getattr(api, name), "__abstractmethods__", None)
    } - {"Plugin"}
    assert len(PLUGIN_KINDS) == 14
    assert abcs == {cls.__name__ for cls in PLUGIN_KINDS.values()} | {"PluginLoader"}
    assert len(abcs) == 15


@then(parsers.parse('the kinds "{kinds}" each have at least one implementation'))
def kinds_implemented(loaded: dict[str, list[type]], kinds: str) -> None:
    implemented = sorted(k for k, classes in loaded.items() if classes)
    assert implemented == sorted(_names(kinds))
    for kind in implemented:
        assert all(issubclass(c, PLUGIN_KINDS[kind]) for c in loaded[kind]), kind


@then(parsers.parse('the kinds "{kinds}" are ABCs only'))
def abc_only(loaded: dict[str, list[type]], kinds: str) -> None:
    assert {k: loaded[k] for k in _names(kinds)} == {k: [] for k in _names(kinds)}


@then(
    parsers.parse(
        'floe plugins list names each built-in implementation with the distribution "{dist}"'
    )
)
def list_names_builtins(registry: Any, dist: str) -> None:
    result = invoke(["plugins", "list", "--json"])
    assert result.exit_code == 0, result.stderr
    listed = {(p["kind"], p["name"]): p["distribution"] for p in json.loads(result.stdout)}
    builtin = {
        (kind, name)
        for kind in PLUGIN_KINDS
        for name in registry.available(kind)
        if registry.get(kind, name).__module__.startswith("floe.plugins.builtin.")
    }
    assert len(builtin) == 14, sorted(builtin)  # 12 kinds; two compute, two secrets
    assert {key: listed[key] for key in builtin} == dict.fromkeys(builtin, dist)


def _check_rows(command: CommandResult) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in command.stdout.splitlines()
        if line.startswith("│") and line.count("│") == 6
    ]


@then(parsers.parse('every installed plugin passed every check, "implements <ABC>" first'))
def all_checks_passed(command: CommandResult, registry: Any) -> None:
    rows = [r for r in _check_rows(command) if r[0]]  # continuation lines have no kind
    installed = {(k, n) for k in PLUGIN_KINDS for n in registry.available(k)}
    assert {(r[0], r[1]) for r in rows} == installed
    assert [r for r in rows if r[3] != "ok"] == []
    for kind, name in installed:
        first = next(r for r in rows if (r[0], r[1]) == (kind, name))
        assert first[2] == f"implements {PLUGIN_KINDS[kind].__name__}", first
    assert f"{len(installed)} plugin(s), 0 failed check(s)" in command.stdout


@then(parsers.parse('the plugins of kinds "{kinds}" had their methods called'))
def methods_called(command: CommandResult, kinds: str) -> None:
    called = {r[0] for r in _check_rows(command) if r[0] and r[2] == "its methods work"}
    assert called == set(_names(kinds))


@then("the ABCs' public methods match the surface recorded for major version 0")
def abi_unchanged() -> None:
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert recorded["major"] == 0
    assert breaking_changes(recorded, snapshot()) == []
    assert len(recorded["abcs"]) == 16  # 15 ABCs and their common base, Plugin


@then(parsers.parse('it is refused with "{message}"'))
def refused(refusal: PluginComplianceError, message: str) -> None:
    assert refusal.message == message


@then(parsers.parse('the artifact\'s quality plugin is "{name}" at version "{version}"'))
def artifact_quality(workspace: Workspace, name: str, version: str) -> None:
    product = workspace.product_dir.name
    artifact = json.loads((workspace.out / product / ARTIFACT_FILE).read_text())
    assert artifact["plugins"]["quality"] == {
        "type": name,
        "version": version,
        "config": {"max_examples": 5},
    }


@then(
    parsers.parse(
        'floe plugins list shows the quality plugin "{name}" from the distribution "{dist}"'
    )
)
def list_shows_third_party(name: str, dist: str) -> None:
    result = invoke(["plugins", "list", "--json"])
    found = [p for p in json.loads(result.stdout) if (p["kind"], p["name"]) == ("quality", name)]
    assert [(p["distribution"], p["version"]) for p in found] == [(dist, "0.1.0")]


@then(
    parsers.parse(
        'the "{name}" plugin finds the {dupes:d} duplicate and {nulls:d} missing customer_id in '
        "a table it is given"
    )
)
def third_party_validates(name: str, dupes: int, nulls: int) -> None:
    plugin = default_loader().create("quality", name, {})
    assert plugin.health_check() == HealthStatus(healthy=True, detail=f"pyarrow {pa.__version__}")
    rows = pa.table({"customer_id": [1, 2, 2, None, 5]})
    checks = [
        QualityCheck(expectation="expect_column_values_to_be_unique", column="customer_id"),
        QualityCheck(expectation="expect_column_values_to_not_be_null", column="customer_id"),
    ]
    unique, not_null = plugin.validate_rows(rows, checks)  # type: ignore[attr-defined]
    assert (unique["success"], unique["unexpected_count"], unique["examples"]) == (
        False,
        dupes,
        [2, 2],
    )
    assert (not_null["success"], not_null["unexpected_count"]) == (False, nulls)
    assert unique["element_count"] == not_null["element_count"] == 5


## The compute swap (live platform)


@given(
    parsers.parse('"{name}", a copy of "{product}" whose floe.yaml differs only in "{line}"'),
    target_fixture="swap",
)
def spark_copy(live_platform: Any, name: str, product: str, line: str) -> dict[str, Any]:
    copy = live_platform.build.parent / "products" / name
    ours = yaml.safe_load((copy / "floe.yaml").read_text())
    theirs = yaml.safe_load((DEMO / product / "floe.yaml").read_text())
    key, value = (part.strip() for part in line.split(":"))
    assert ours.pop(key) == value and key not in theirs
    ours["metadata"].pop("name"), theirs["metadata"].pop("name")
    assert ours == theirs  # nothing else differs
    assert sorted(p.name for p in copy.rglob("*.sql")) == sorted(
        p.name for p in (DEMO / product).rglob("*.sql")
    )
    return {"name": name, "product": product}


@then(
    parsers.parse(
        'its artifact resolves compute "{engine}" and its profiles.yml runs dbt\'s "{adapter}" '
        'adapter in "{method}" mode on the catalog "{alias}"'
    )
)
def spark_profile(
    live_platform: Any, swap: dict[str, Any], engine: str, adapter: str, method: str, alias: str
) -> None:
    out = live_platform.build / swap["name"]
    artifact = json.loads((out / ARTIFACT_FILE).read_text())
    assert artifact["plugins"]["compute"]["type"] == engine
    assert {t["compute"] for t in artifact["transforms"]} == {engine}
    profile = yaml.safe_load((out / "profiles.yml").read_text())
    (target,) = profile[artifact["dbt"]["profile_name"]]["outputs"].values()
    assert (target["type"], target["method"]) == (adapter, method)
    params = target["server_side_parameters"]
    assert params["spark.sql.defaultCatalog"] == alias
    assert params[f"spark.sql.catalog.{alias}.type"] == "rest"
    assert params[f"spark.sql.catalog.{alias}.io-impl"].endswith("iceberg.aws.s3.S3FileIO")


@then(parsers.parse('its code location\'s dbt assets carry the compute "{engine}"'))
def spark_assets(live_platform: Any, swap: dict[str, Any], engine: str) -> None:
    from dagster import Definitions

    from floe.runtime.definitions import build_definitions

    defs: Definitions = build_definitions(live_platform.build / swap["name"] / ARTIFACT_FILE)
    specs = [s for a in defs.assets or [] for s in a.specs]  # type: ignore[union-attr]
    assert len(specs) == 8
    assert {s.metadata["compute"] for s in specs} == {engine}


@when(
    parsers.parse('the pipelines of "{first}" and "{second}" run through Dagster'),
    target_fixture="swap_runs",
)
def run_both(live_platform: Any, first: str, second: str) -> dict[str, Any]:
    from steps.pipeline import run_product

    return {name: run_product(live_platform, name) for name in (first, second)}


@then(parsers.parse('both runs end with status "{status}", each writing {n:d} tables'))
def both_succeed(swap_runs: dict[str, Any], status: str, n: int) -> None:
    for name, run in swap_runs.items():
        assert run.status == status, (name, run.errors[:2])
        assert len(set(run.materialized)) == n, (name, sorted(run.materialized))


def _rounded(row: dict[str, Any]) -> tuple[Any, ...]:
    """Floats to 9 decimals: two engines may add a column's doubles in another order."""
    return tuple(round(v, 9) if isinstance(v, float) else v for v in row.values())


def _row_key(row: tuple[Any, ...]) -> list[str]:
    """Sorts rows holding None; 5 and Decimal('5') sort alike (and compare equal)."""
    return [str(v) for v in row]


def _tables(live_platform: Any, namespace: str) -> dict[str, Any]:
    from steps.pipeline import catalog

    cat = catalog(live_platform)
    return {ident[-1]: cat.load_table(ident) for ident in cat.list_tables(namespace)}


@then(
    parsers.parse(
        'every table of "{spark_ns}" was committed by engine "{engine}" {version} and of '
        '"{duck_ns}" by DuckDB'
    )
)
def committed_by(
    live_platform: Any, spark_ns: str, engine: str, version: str, duck_ns: str
) -> None:
    spark = _tables(live_platform, spark_ns)
    duck = _tables(live_platform, duck_ns)
    assert sorted(spark) == sorted(duck) and len(spark) == 8
    for name, table in spark.items():
        summary = table.current_snapshot().summary
        assert (summary["engine-name"], summary["engine-version"]) == (engine, version), name
        assert table.metadata.location == f"s3://warehouse/{spark_ns}/{name}"
    for name, table in duck.items():
        assert "engine-name" not in table.current_snapshot().summary.additional_properties, name


@then(
    parsers.parse(
        'every table of "{spark_ns}" holds the same columns and rows as its "{duck_ns}" twin, '
        "read through pyiceberg"
    )
)
def same_rows(live_platform: Any, spark_ns: str, duck_ns: str) -> None:
    spark = _tables(live_platform, spark_ns)
    duck = _tables(live_platform, duck_ns)
    for name in sorted(duck):
        ours = spark[name].scan().to_arrow()
        theirs = duck[name].scan().to_arrow()
        assert ours.column_names == theirs.column_names, name
        # Integer widths may differ (seed type inference); the values may not.
        rows_a = sorted((_rounded(r) for r in ours.to_pylist()), key=_row_key)
        rows_b = sorted((_rounded(r) for r in theirs.to_pylist()), key=_row_key)
        assert len(rows_a) == len(rows_b) > 0, name
        assert rows_a == rows_b, name
