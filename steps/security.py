"""Steps on security: the scanners run for real, secrets are looked for where they must not be."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import shutil
import stat
from pathlib import Path
from typing import Any, get_args

import allure
import pytest
import yaml
from pydantic import BaseModel, SecretStr
from pytest_bdd import given, parsers, then, when

import floe
from floe.plugins.base import PLUGIN_KINDS
from floe.plugins.registry import default_loader
from floe.spec.secrets import SecretRef
from steps.common import ROOT, CommandResult
from steps.compiler import _run

# "secrets" alone is the secrets *plugin* of a manifest, not a secret.
SECRET_NAME = re.compile(
    r"^(?!secrets$).*(password|passwd|secret|token|credential|access_key|api_key)(?!_url)"
)


@pytest.fixture
def security_report() -> dict[str, Any]:
    """The JSON report 'floe security scan' wrote, filled by the When step."""
    return {}


## When


@when(
    "floe security scan runs on the floe package and the pinned dependencies",
    target_fixture="command",
)
def security_scan(tmp_path: Path, security_report: dict[str, Any]) -> CommandResult:
    report = tmp_path / "security.json"
    lock = str(ROOT / "requirements.lock")
    result = _run(["security", "scan", "--lock", lock, "-o", str(report)])
    security_report.update(json.loads(report.read_text()))
    return result


@given(
    "every pydantic model in the floe package and in the installed plugins",
    target_fixture="models",
)
def all_models() -> list[type[BaseModel]]:
    for info in pkgutil.walk_packages(floe.__path__, "floe."):
        if ".launchers." in info.name or info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
    loader = default_loader()
    plugin_models = [
        loader.get(kind, name).config_model
        for kind in PLUGIN_KINDS
        for name in loader.available(kind)
    ]
    found: set[type[BaseModel]] = set(plugin_models)
    stack = [BaseModel]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("floe"):
                found.add(sub)
    return sorted(found, key=lambda m: f"{m.__module__}.{m.__qualname__}")


@when("their fields are inspected", target_fixture="secret_fields")
def inspect_fields(models: list[type[BaseModel]]) -> dict[str, list[tuple[str, Any]]]:
    fields: dict[str, list[tuple[str, Any]]] = {}
    for model in models:
        for name, info in model.model_fields.items():
            if SECRET_NAME.search(name):
                fields.setdefault(model.__name__, []).append((name, info.annotation))
    return fields


## Then


@then(
    parsers.parse(
        "Bandit scanned at least {files:d} files of floe and found {high:d} high and {medium:d} "
        "medium issues"
    )
)
def bandit_result(security_report: dict[str, Any], files: int, high: int, medium: int) -> None:
    bandit = security_report["bandit"]
    assert bandit["files"] >= files, bandit["files"]
    assert (bandit["findings"]["HIGH"], bandit["findings"]["MEDIUM"]) == (high, medium), bandit[
        "blocking"
    ]
    assert bandit["lines"] > 5000


@then(
    parsers.parse(
        'the dependency audit reports one of "{verdicts}" and never a pass for a package it skipped'
    )
)
def audit_honest(security_report: dict[str, Any], command: CommandResult, verdicts: str) -> None:
    audit = security_report["pip_audit"]
    assert audit["verdict"] in [v.strip() for v in verdicts.split(",")]
    assert audit["audited"] + audit["skipped"] == audit["packages"] > 100
    if audit["skipped"] == audit["packages"]:
        assert audit["verdict"] == "not audited"
        assert "no vulnerability source was reachable" in audit["reason"]
    assert "No known vulnerabilities found" not in command.output
    assert f"pip-audit: {audit['verdict']}: {audit['audited']} of {audit['packages']}" in (
        command.stdout
    )


def _secret_typed(annotation: Any) -> bool:
    return any(t in (SecretStr, SecretRef) for t in (get_args(annotation) or (annotation,)))


@then(
    "each field named like a password, secret, token, credential or key is typed SecretStr or "
    "SecretRef"
)
def fields_are_secret(secret_fields: dict[str, list[tuple[str, Any]]]) -> None:
    loose = [
        f"{model}.{name}: {annotation}"
        for model, fields in secret_fields.items()
        for name, annotation in fields
        if not _secret_typed(annotation)
    ]
    assert loose == []
    assert sum(len(f) for f in secret_fields.values()) >= 4


@then(parsers.parse('the models holding such fields include "{names}"'))
def secret_models(secret_fields: dict[str, list[tuple[str, Any]]], names: str) -> None:
    assert {n.strip() for n in names.split(",")} <= set(secret_fields), sorted(secret_fields)


@then("the platform's secrets file is readable by its owner only")
def secrets_file_private(live_platform: Any) -> None:
    mode = stat.S_IMODE((live_platform.settings.home / "secrets.env").stat().st_mode)
    assert mode == 0o600, oct(mode)


@then(
    parsers.parse(
        "none of the platform's {n:d} secret values appears in its logs, its run logs or the "
        "compiled output"
    )
)
def no_secret_leaks(live_platform: Any, n: int) -> None:
    values = [v.get_secret_value() for v in live_platform.platform.secrets.values()]
    assert len(values) == n and all(len(v) >= 12 for v in values)
    home = live_platform.settings.home
    searched = 0
    for folder in (home / "logs", live_platform.build):
        for path in folder.rglob("*"):
            if not path.is_file() or path.stat().st_size > 50_000_000:
                continue
            text = path.read_bytes()
            searched += 1
            leaked = [v for v in values if v.encode() in text]
            assert leaked == [], f"{path.relative_to(home)} holds {len(leaked)} secret value(s)"
    assert searched > 20, searched


@then(parsers.parse('the compiled profiles.yml of "{product}" names each secret by reference only'))
def profile_references(live_platform: Any, product: str) -> None:
    profile = yaml.safe_load((live_platform.build / product / "profiles.yml").read_text())
    (target,) = next(iter(profile.values()))["outputs"].values()
    s3, iceberg = target["secrets"]
    assert s3["key_id"] == "{{ env_var('FLOE_S3_ACCESS_KEY_ID') }}"
    assert s3["secret"] == "{{ env_var('FLOE_S3_SECRET_ACCESS_KEY') }}"
    assert iceberg["client_secret"] == "{{ env_var('FLOE_CATALOG_CLIENT_SECRET') }}"
    refs = sorted(set(re.findall(r"env_var\('([A-Z0-9_]+)'", json.dumps(target))))
    assert {
        "FLOE_CATALOG_CLIENT_ID",
        "FLOE_CATALOG_CLIENT_SECRET",
        "FLOE_S3_ACCESS_KEY_ID",
        "FLOE_S3_SECRET_ACCESS_KEY",
    } <= set(refs), refs


## A manifest of the product's own


@given(
    parsers.parse(
        'a copy of "{product}" named "{name}", compiled against a manifest of its own that lifts '
        "the model naming rule"
    ),
    target_fixture="lax",
)
def lax_copy(live_platform: Any, product: str, name: str, tmp_path: Path) -> dict[str, Any]:
    from floe.compiler import compile_pipeline
    from steps.common import DEMO

    root = tmp_path / "own"
    shutil.copytree(DEMO / product, root / name, ignore=shutil.ignore_patterns("target", "logs"))
    spec = yaml.safe_load((root / name / "floe.yaml").read_text())
    spec["metadata"]["name"] = name
    (root / name / "floe.yaml").write_text(yaml.safe_dump(spec))
    manifest = yaml.safe_load((DEMO / "manifest.yaml").read_text())
    manifest["governance"]["model_name_pattern"] = ".*"
    (root / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    out = tmp_path / "out"
    result = compile_pipeline(root / name, output_dir=out)
    assert result.artifacts.governance.model_name_pattern == ".*"
    assert result.artifacts.sources.manifest_yaml != live_platform.settings.manifest_sha256
    return {"name": name, "out": out, "artifact": result.artifacts}


@when(
    parsers.parse('floe run launches "{name}" on the platform with JSON logs'),
    target_fixture="command",
)
def run_lax(live_platform: Any, lax: dict[str, Any], name: str) -> CommandResult:
    from floe.cli.main import invoke
    from floe.platform.dagster_client import DagsterClient

    client = DagsterClient(live_platform.url("dagster"))
    before = client.run_count()
    args = ["--log-format", "json", "run", name, "--output-dir", str(lax["out"])]
    args += ["--home", str(live_platform.settings.home)]
    result = invoke(args)
    started = client.run_count() - before
    # The shared step "no Dagster run was started" reads this count.
    return CommandResult(
        [*args, f"runs_started={started}"], result.exit_code, result.stdout, result.stderr
    )


@then(
    parsers.parse(
        'the log holds the security event "{event}" for "{name}" with both manifest digests'
    )
)
def security_event(
    live_platform: Any, lax: dict[str, Any], command: CommandResult, event: str, name: str
) -> None:
    events = [json.loads(line) for line in command.stderr.splitlines() if line.startswith("{")]
    (found,) = [e for e in events if e.get("event") == event]
    assert found["product"] == name
    assert found["artifact_manifest_sha256"] == lax["artifact"].sources.manifest_yaml
    assert found["platform_manifest_sha256"] == live_platform.settings.manifest_sha256
    assert found["level"] == "warning"


@then("its code location refuses to load for the same reason")
def location_refuses(
    live_platform: Any, lax: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from floe import config
    from floe.artifact.io import ARTIFACT_FILE
    from floe.errors import GovernanceError
    from floe.runtime.definitions import build_definitions

    # The environment the platform gives its Dagster processes.
    env = live_platform.platform.env()
    monkeypatch.setenv(
        config.FLOE_PLATFORM_MANIFEST_SHA256, env[config.FLOE_PLATFORM_MANIFEST_SHA256]
    )
    with pytest.raises(GovernanceError) as caught:
        build_definitions(lax["out"] / lax["name"] / ARTIFACT_FILE)
    assert "the code location refused it" in str(caught.value)


## RBAC on the local catalog


def _as_principal(live_platform: Any, principal: str) -> Any:
    """The catalog as one of the manifest's principals, opened the way `floe table --as` does."""
    from floe.platform.tables import open_catalog

    return open_catalog(live_platform.settings, principal)


@when(
    parsers.parse(
        'the principal "{principal}", who holds no privilege, lists the tables of "{namespace}" '
        "through pyiceberg"
    ),
    target_fixture="denial",
)
def list_as(live_platform: Any, principal: str, namespace: str) -> Exception:
    from floe.platform.catalog_access import rbac_plugin

    rbac = rbac_plugin(live_platform.settings.manifest)
    assert rbac is not None and rbac.privileges(principal) == []
    catalog = _as_principal(live_platform, principal)
    with pytest.raises(Exception) as caught:
        catalog.list_tables(namespace)
    return caught.value


@then("the catalog refuses with HTTP 403 Forbidden")
def forbidden(denial: Exception) -> None:
    from pyiceberg.exceptions import ForbiddenError

    assert isinstance(denial, ForbiddenError), repr(denial)
    assert "Access Denied" in str(denial)


@then(parsers.parse('loading "{table}" as "{principal}" finds no such table'))
def hidden_table(live_platform: Any, table: str, principal: str) -> None:
    from pyiceberg.exceptions import NoSuchTableError

    with pytest.raises(NoSuchTableError):
        _as_principal(live_platform, principal).load_table(table)


@then(
    parsers.parse(
        'the principal "{principal}", whose role holds TABLE_READ_DATA on the catalog, reads all '
        '{rows:d} rows of "{table}"'
    )
)
def reads(live_platform: Any, principal: str, rows: int, table: str) -> None:
    from floe.platform.catalog_access import rbac_plugin

    rbac = rbac_plugin(live_platform.settings.manifest)
    assert rbac is not None and rbac.is_allowed(principal, "TABLE_READ_DATA", table)
    data = _as_principal(live_platform, principal).load_table(table).scan().to_arrow()
    assert data.num_rows == rows


def _append_refused(live_platform: Any, principal: str, table: str) -> None:
    from steps.pipeline import catalog

    admin = catalog(live_platform).load_table(table)
    before = admin.current_snapshot().snapshot_id
    row = admin.scan(limit=1).to_arrow()  # read as the platform: the principal may not
    target = _as_principal(live_platform, principal).load_table(table)
    with pytest.raises(Exception) as caught:
        target.append(row)
    assert "Access Denied" in str(caught.value) or "multiple part upload" in str(caught.value)
    after = catalog(live_platform).load_table(table).current_snapshot().snapshot_id
    assert after == before


@then(
    parsers.parse(
        'the principal "{principal}" cannot append a row to "{table}", which keeps its snapshot'
    )
)
def append_refused(live_platform: Any, principal: str, table: str) -> None:
    _append_refused(live_platform, principal, table)


@then(parsers.parse('the principal "{principal}" creates and appends to a table in "{namespace}"'))
def writer_writes(live_platform: Any, principal: str, namespace: str) -> None:
    import pyarrow as pa
    from pyiceberg.schema import Schema
    from pyiceberg.types import LongType, NestedField

    from steps.pipeline import catalog

    name = f"{namespace}.rbac_probe_{principal}"
    admin = catalog(live_platform)
    if admin.table_exists(name):
        admin.drop_table(name)
    own = _as_principal(live_platform, principal)
    try:
        table = own.create_table(
            name, schema=Schema(NestedField(1, "x", LongType(), required=False))
        )
        table.append(pa.table({"x": pa.array([1, 2], pa.int64())}))
        assert admin.load_table(name).scan().to_arrow().column("x").to_pylist() == [1, 2]
    finally:
        if admin.table_exists(name):
            admin.drop_table(name)


## A product reaching into another product's namespace


@given(
    parsers.parse(
        'a copy of "{product}" whose model "{model}" asks for the schema "{schema}", with a '
        "generate_schema_name macro that returns it as is"
    ),
    target_fixture="copy_dir",
)
def schema_hijack(tmp_path: Path, product: str, model: str, schema: str) -> Path:
    from steps.compiler import _copy_product

    product_dir = _copy_product(tmp_path, product)
    (sql_file,) = (product_dir / "models").rglob(f"{model}.sql")
    sql_file.write_text(f"{{{{ config(schema='{schema}') }}}}\n" + sql_file.read_text())
    macros = product_dir / "macros"
    macros.mkdir(exist_ok=True)
    (macros / "schema.sql").write_text(
        "{% macro generate_schema_name(custom_schema_name, node) -%}\n"
        "{{ custom_schema_name if custom_schema_name else target.schema }}\n"
        "{%- endmacro %}\n"
    )
    return product_dir


@when("floe compile runs on the copy", target_fixture="command")
def compile_copy(tmp_path: Path, copy_dir: Path) -> CommandResult:
    return _run(["compile", str(copy_dir), "-o", str(tmp_path / "out")])


## Security events (FR-067)


@when(
    parsers.parse('floe table list "{namespace}" runs as "{principal}" with JSON logs'),
    target_fixture="command",
)
def table_list_as(live_platform: Any, namespace: str, principal: str) -> CommandResult:

    home = str(live_platform.settings.home)
    args = ["--log-format", "json", "table", "list", namespace, "--as", principal, "--home", home]
    return _run(args)


def _security_event(command: CommandResult, event: str) -> dict[str, Any]:
    events = [json.loads(line) for line in command.stderr.splitlines() if line.startswith("{")]
    allure.attach(command.stderr, f"log of {' '.join(command.args[2:5])}", "text/plain")
    (found,) = [e for e in events if e.get("event") == event]
    assert found["level"] == "warning", found
    return found


@then(
    parsers.parse(
        'the log holds the security event "{event}" naming the principal "{principal}" and the '
        'reason "{reason}"'
    )
)
def auth_failure_event(command: CommandResult, event: str, principal: str, reason: str) -> None:
    found = _security_event(command, event)
    assert (found["principal"], found["reason"]) == (principal, reason), found


@then(
    parsers.parse(
        'the log holds the security event "{event}" naming the principal "{principal}" and the '
        'action "{action}"'
    )
)
def violation_event(command: CommandResult, event: str, principal: str, action: str) -> None:
    found = _security_event(command, event)
    assert (found["principal"], found["action"]) == (principal, action), found


@then(
    parsers.parse(
        'the log holds the security event "{event}" naming the principal "{principal}", the '
        'action "{action}", the resource "{resource}" and the status {status:d}'
    )
)
def access_denied_event(
    command: CommandResult, event: str, principal: str, action: str, resource: str, status: int
) -> None:
    found = _security_event(command, event)
    fields = (found["principal"], found["action"], found["resource"], found["status"])
    assert fields == (principal, action, resource, status), found


@then("the log holds none of the platform's secret values")
def no_secret_in_log(live_platform: Any, command: CommandResult) -> None:
    from floe.platform import secrets as sec

    values = [v.get_secret_value() for v in sec.ensure(live_platform.settings.home).values()]
    assert len(values) == 7
    for value in values:
        assert value not in command.stderr and value not in command.stdout
