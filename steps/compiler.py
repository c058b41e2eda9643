"""Steps that act on the compiler: real demo files through the real compiler and CLI (TQR-004)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError
from pytest_bdd import given, parsers, then, when

from floe.cli import invoke
from floe.compiler import compile_pipeline
from floe.errors import SpecValidationError
from steps.common import DEMO, PRODUCTS, ROOT, CommandResult

ARTIFACT = "compiled_artifacts.json"


class Workspace:
    """A product folder (or copy) plus the output folder it compiles into."""

    def __init__(self, product_dir: Path, out: Path, manifest: Path | None = None) -> None:
        self.product_dir = product_dir
        self.out = out
        self.manifest = manifest

    @property
    def name(self) -> str:
        return self.product_dir.name

    def artifact(self) -> dict[str, Any]:
        return json.loads((self.out / self.name / ARTIFACT).read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def cli_args(self, out: Path | None = None) -> list[str]:
        args = ["compile", str(self.product_dir), "--output-dir", str(out or self.out)]
        if self.manifest:
            args += ["--manifest", str(self.manifest)]
        return args


def _run(args: list[str]) -> CommandResult:
    result = invoke(args)
    return CommandResult(args, result.exit_code, result.stdout, result.stderr)


def _copy_product(tmp_path: Path, product: str) -> Path:
    """A private copy with its own manifest beside it, so a step may change either."""
    root = tmp_path / "demo"
    shutil.copytree(DEMO / product, root / product, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copy(DEMO / "manifest.yaml", root / "manifest.yaml")
    return root / product


def _edit_yaml(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


## Given


@given(parsers.parse('the demo data product "{product}"'), target_fixture="workspace")
def demo_product(product: str, tmp_path: Path) -> Workspace:
    """The committed demo product, compiled into a fresh folder."""
    return Workspace(DEMO / product, tmp_path / "out")


@given("the three demo data products compiled into one output folder", target_fixture="workspace")
def all_compiled(tmp_path: Path) -> Workspace:
    out = tmp_path / "out"
    for product in PRODUCTS:
        compile_pipeline(DEMO / product, output_dir=out)
    return Workspace(DEMO / PRODUCTS[0], out)


FLOE_CHANGES = {
    "has no metadata.name": lambda d: d["metadata"].pop("name"),
    "has metadata.version set to 42": lambda d: d["metadata"].__setitem__("version", 42),
    'has schedule.cron set to "every day"': lambda d: d["schedule"].__setitem__(
        "cron", "every day"
    ),
    "has a catalog section": lambda d: d.__setitem__("catalog", {"uri": "http://elsewhere"}),
    "has governance.max_retention_hours set to 24": lambda d: d["governance"].__setitem__(
        "max_retention_hours", 24
    ),
}


@given(
    parsers.parse('a copy of the demo data product "{product}" whose floe.yaml {change}'),
    target_fixture="workspace",
)
def changed_floe_yaml(product: str, change: str, tmp_path: Path) -> Workspace:
    if change.startswith("selects compute"):
        m = re.fullmatch(r'selects compute "(.+)" and whose manifest approves "(.+)"', change)
        assert m, change
        engine, approved = m.group(1), [a.strip() for a in m.group(2).split(",")]
        copy = _copy_product(tmp_path, product)
        _edit_yaml(copy / "floe.yaml", lambda d: d.__setitem__("compute", engine))
        _edit_yaml(
            copy.parent / "manifest.yaml",
            lambda d: d["plugins"]["compute"].__setitem__("approved", approved),
        )
        return Workspace(copy, tmp_path / "out")
    copy = _copy_product(tmp_path, product)
    _edit_yaml(copy / "floe.yaml", FLOE_CHANGES[change])
    return Workspace(copy, tmp_path / "out")


@given(
    parsers.parse(
        'a copy of the demo data product "{product}" whose model "{model}" has the SQL "{sql}"'
    ),
    target_fixture="workspace",
)
def broken_sql(product: str, model: str, sql: str, tmp_path: Path) -> Workspace:
    copy = _copy_product(tmp_path, product)
    (path,) = (copy / "models").rglob(f"{model}.sql")
    path.write_text(sql + "\n", encoding="utf-8")
    return Workspace(copy, tmp_path / "out")


@given(
    parsers.parse(
        'a copy of the demo data product "{product}" whose seed "{seed}" has only '
        "{n:d} fields on line {line:d}"
    ),
    target_fixture="workspace",
)
def malformed_seed(product: str, seed: str, n: int, line: int, tmp_path: Path) -> Workspace:
    copy = _copy_product(tmp_path, product)
    path = copy / "seeds" / f"{seed}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = ",".join(lines[line - 1].split(",")[:n])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Workspace(copy, tmp_path / "out")


## When


@when("floe compile runs on it", target_fixture="command")
def run_compile(workspace: Workspace) -> CommandResult:
    return _run(workspace.cli_args())


@when("floe compile runs on it with JSON logs", target_fixture="command")
def run_compile_json(workspace: Workspace) -> CommandResult:
    return _run(["--log-format", "json", *workspace.cli_args()])


@pytest.fixture
def repo_out(tmp_path: Path) -> Iterator[Path]:
    """An output folder inside the repository, as a user's target/floe would be."""
    folder = ROOT / "target" / "acceptance" / tmp_path.name
    shutil.rmtree(folder, ignore_errors=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@when("floe compile runs on it twice into two output folders", target_fixture="command")
def run_twice(workspace: Workspace, repo_out: Path) -> CommandResult:
    first = _run(workspace.cli_args(repo_out / "a"))
    again = _run(workspace.cli_args(repo_out / "a"))
    second = _run(workspace.cli_args(repo_out / "b"))
    assert (first.exit_code, again.exit_code, second.exit_code) == (0, 0, 0), second.output
    return second


@when("the compiler API compiles it", target_fixture="api_error")
def api_compile(workspace: Workspace) -> BaseException:
    with pytest.raises(SpecValidationError) as info:
        compile_pipeline(workspace.product_dir, output_dir=workspace.out)
    return info.value


@when("Dagster validates the generated workspace.yaml", target_fixture="command")
def dagster_validate(workspace: Workspace) -> CommandResult:
    args = [
        str(Path(sys.executable).parent / "dagster"),
        "definitions",
        "validate",
        "-w",
        str(workspace.out / "workspace.yaml"),
    ]
    proc = subprocess.run(
        args, capture_output=True, text=True, timeout=600, cwd=workspace.out, check=False
    )
    return CommandResult(args, proc.returncode, proc.stdout, proc.stderr)


@when("floe schema export writes the floe.yaml schema", target_fixture="command")
def export_schema(tmp_path: Path) -> CommandResult:
    return _run(["schema", "export", "--output", str(tmp_path / "floe.schema.json")])


## Then


@then(
    parsers.parse(
        'the artifact has version "{version}" and validates against the artifact JSON Schema'
    )
)
def artifact_version(workspace: Workspace, version: str, tmp_path: Path) -> None:
    data = workspace.artifact()
    assert data["version"] == version
    exported = _run(["schema", "export", "--document", "artifact", "-o", str(tmp_path / "a.json")])
    assert exported.exit_code == 0, exported.output
    schema = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    assert schema["properties"]["version"]["const"] == version


@then(parsers.parse("the artifact lists the models {models}"))
def lists_models(workspace: Workspace, models: str) -> None:
    got = sorted(
        t["name"] for t in workspace.artifact()["transforms"] if t["resource_type"] == "model"
    )
    assert got == sorted(m.strip() for m in models.split(","))


@then(
    parsers.parse("each layer holds {bronze:d} bronze, {silver:d} silver and {gold:d} gold models")
)
def layer_counts(workspace: Workspace, bronze: int, silver: int, gold: int) -> None:
    models = [t for t in workspace.artifact()["transforms"] if t["resource_type"] == "model"]
    counts = {
        layer: sum(1 for m in models if m["layer"] == layer)
        for layer in ("bronze", "silver", "gold")
    }
    assert counts == {"bronze": bronze, "silver": silver, "gold": gold}


@then("every model's upstream nodes match its refs in the dbt project")
def deps_match_refs(workspace: Workspace) -> None:
    for t in workspace.artifact()["transforms"]:
        if t["resource_type"] != "model":
            continue
        (sql_file,) = (workspace.product_dir / "models").rglob(f"{t['name']}.sql")
        refs = sorted(set(re.findall(r"ref\('([a-z0-9_]+)'\)", sql_file.read_text())))
        assert t["depends_on"] == refs, (t["name"], t["depends_on"], refs)
        layer_dir = sql_file.parent.name
        assert t["layer"] == layer_dir


@then("every model carries at least one dbt test")
def models_tested(workspace: Workspace) -> None:
    untested = [
        t["name"]
        for t in workspace.artifact()["transforms"]
        if t["resource_type"] == "model" and not t["tests"]
    ]
    assert untested == []
    data = workspace.artifact()
    assert data["dbt"]["test_count"] >= data["dbt"]["model_count"]


@then(
    parsers.parse(
        'the generated profiles.yml targets "{engine}" with the Iceberg REST catalog '
        'attached as "{alias}" and namespace "{namespace}"'
    )
)
def profile_content(workspace: Workspace, engine: str, alias: str, namespace: str) -> None:
    data = workspace.artifact()
    profiles = yaml.safe_load((workspace.out / workspace.name / "profiles.yml").read_text())
    profile = profiles[data["dbt"]["profile_name"]]
    output = profile["outputs"][profile["target"]]
    assert output["type"] == engine
    assert output["database"] == alias and output["schema"] == namespace
    (attach,) = output["attach"]
    # The manifest's warehouse, unless the platform runs the artifact in another environment.
    warehouse = "{{ env_var('FLOE_WAREHOUSE', 'warehouse') }}"
    assert (attach["alias"], attach["type"], attach["path"]) == (alias, "iceberg", warehouse)
    assert "http://127.0.0.1:8181" in attach["options"]["endpoint"]
    secret_types = sorted(s["type"] for s in output["secrets"])
    assert secret_types == ["iceberg", "s3"]
    # Secrets are references to the environment, never values.
    for s in output["secrets"]:
        for key in ("key_id", "secret", "client_id", "client_secret"):
            if key in s:
                assert re.fullmatch(r"\{\{ env_var\('FLOE_[A-Z0-9_]+'\) \}\}", s[key]), s[key]


@then(parsers.parse('workspace.yaml lists the code locations "{names}", each a python_file'))
def workspace_locations(workspace: Workspace, command: CommandResult, names: str) -> None:
    data = yaml.safe_load((workspace.out / "workspace.yaml").read_text())
    expected = [n.strip() for n in names.split(",")]
    assert [e["python_file"]["location_name"] for e in data["load_from"]] == expected
    for entry in data["load_from"]:
        pf = entry["python_file"]
        assert pf["relative_path"] == f"{pf['location_name']}/definitions.py"
    for name in expected:
        assert f"Validation successful for code location {name}" in command.output


def _load_definitions(workspace: Workspace, product: str) -> Any:
    """Import the generated definitions.py the way a code server does and resolve it."""
    path = workspace.out / product / "definitions.py"
    spec = importlib.util.spec_from_file_location(f"floe_defs_{product.replace('-', '_')}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.defs


@then(
    parsers.parse(
        'the code location of "{product}" defines the assets of its {models:d} models '
        'and {seeds:d} seeds in the group "{group}", each tagged with its layer'
    )
)
def location_assets(
    workspace: Workspace, product: str, models: int, seeds: int, group: str
) -> None:
    repo = _load_definitions(workspace, product).get_repository_def()
    graph = repo.asset_graph
    keys = sorted(k.to_user_string() for k in graph.get_all_asset_keys())
    transforms = workspace.artifact()["transforms"]
    assert keys == sorted(t["table"].replace(".", "/") for t in transforms)
    assert len(keys) == models + seeds
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {group}
    layers = {k.to_user_string(): graph.get(k).tags["layer"] for k in graph.get_all_asset_keys()}
    assert layers == {t["table"].replace(".", "/"): t["layer"] for t in transforms}
    assert sorted(layers.values()).count("gold") == 2


@then(
    parsers.parse(
        'the code location of "{product}" has the job "{job}" on the schedule "{cron}" in "{tz}"'
    )
)
def location_schedule(workspace: Workspace, product: str, job: str, cron: str, tz: str) -> None:
    repo = _load_definitions(workspace, product).get_repository_def()
    assert job in [j.name for j in repo.get_all_jobs()]
    # The pipeline's schedule, beside the maintenance job's on the same cron.
    schedules = {s.job_name: (s.cron_schedule, s.execution_timezone) for s in repo.schedule_defs}
    assert schedules == {job: (cron, tz), f"{job}_maintenance": (cron, tz)}


@then(
    parsers.parse('the code location of "{product}" has a dbt resource using profile "{profile}"')
)
def location_resource(workspace: Workspace, product: str, profile: str) -> None:
    dbt = _load_definitions(workspace, product).resources["dbt"]
    assert dbt.profile == profile
    # dbt runs the run project beside the artifact; its folders are the product's own.
    run_project = Path(dbt.project_dir)
    assert run_project == (workspace.out / product / "dbt").resolve()
    assert (run_project / "models").resolve() == (DEMO / product / "models").resolve()
    assert (run_project / "floe_macros" / "duckdb" / "floe_iceberg_table.sql").is_file()
    assert (Path(dbt.profiles_dir) / "profiles.yml").read_text().startswith(f"{profile}:")


@then(parsers.parse('a pydantic ValidationError is raised naming "{field}"'))
def api_validation_error(api_error: BaseException, field: str) -> None:
    assert isinstance(api_error.__cause__, ValidationError)
    locs = [".".join(map(str, e["loc"])) for e in api_error.__cause__.errors()]
    assert field in locs, locs
    assert any(p.startswith(f"{field}:") for p in api_error.problems)  # type: ignore[attr-defined]


@then(parsers.parse('the error output names the file "{file}" and the field "{field}"'))
def names_file_and_field(command: CommandResult, file: str, field: str) -> None:
    assert f"{file} is not valid" in command.stderr, command.stderr
    assert f"  - {field}:" in command.stderr, command.stderr


@then(parsers.parse('the artifact\'s schedule is "{cron}" in "{tz}", taken from floe.yaml'))
def merged_schedule(workspace: Workspace, cron: str, tz: str) -> None:
    sched = workspace.artifact()["orchestration"]["schedule"]
    assert (sched["cron"], sched["timezone"], sched["enabled"]) == (cron, tz, True)
    manifest = yaml.safe_load((DEMO / "manifest.yaml").read_text())
    assert manifest["defaults"]["schedule"]["timezone"] != tz  # the override is visible


@then(
    parsers.parse(
        'the artifact\'s compute plugin is "{name}" with threads {threads:d} and '
        'memory_limit "{mem}", taken from manifest.yaml'
    )
)
def merged_compute(workspace: Workspace, name: str, threads: int, mem: str) -> None:
    compute = workspace.artifact()["plugins"]["compute"]
    assert compute["type"] == name
    assert compute["config"] == {"threads": threads, "memory_limit": mem}


@then(
    parsers.parse(
        'the artifact\'s catalog plugin is "{name}" at "{uri}" with warehouse "{warehouse}"'
    )
)
def merged_catalog(workspace: Workspace, name: str, uri: str, warehouse: str) -> None:
    catalog = workspace.artifact()["plugins"]["catalog"]
    assert (catalog["type"], catalog["config"]["uri"], catalog["config"]["warehouse"]) == (
        name,
        uri,
        warehouse,
    )
    assert catalog["config"]["client_secret"] == {"env": "FLOE_CATALOG_CLIENT_SECRET"}


@then(
    parsers.parse(
        "the artifact's governance requires model tests and keeps data at most {hours:d} hours"
    )
)
def merged_governance(workspace: Workspace, hours: int) -> None:
    gov = workspace.artifact()["governance"]
    assert (gov["require_model_tests"], gov["max_retention_hours"]) == (True, hours)


@then(
    parsers.parse(
        'the artifact\'s gold model "{model}" carries {n:d} quality checks from floe.yaml'
    )
)
def merged_quality(workspace: Workspace, model: str, n: int) -> None:
    (t,) = [t for t in workspace.artifact()["transforms"] if t["name"] == model]
    assert t["layer"] == "gold"
    assert [q["expectation"] for q in t["quality"]] == [
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_between",
    ][:n]


@then(
    "the log holds the stage events LOAD, VALIDATE, RESOLVE, ENFORCE, COMPILE, GENERATE in that "
    "order, each ok"
)
def stage_order(command: CommandResult) -> None:
    events = [json.loads(line) for line in command.stderr.splitlines() if line.startswith("{")]
    stages = [(e["stage"], e["ok"]) for e in events if e.get("event") == "compile.stage"]
    assert stages == [
        (s, True) for s in ("LOAD", "VALIDATE", "RESOLVE", "ENFORCE", "COMPILE", "GENERATE")
    ]
    assert {e["product"] for e in events if e.get("event") == "compile.stage"} == {"iot-telemetry"}


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@then("every generated file is byte-identical between the two runs")
def identical(repo_out: Path) -> None:
    a, b = _digests(repo_out / "a"), _digests(repo_out / "b")
    assert sorted(a) == [
        "financial-risk/compiled_artifacts.json",
        "financial-risk/dbt/dbt_project.yml",
        "financial-risk/dbt/floe_macros/duckdb/floe_iceberg_table.sql",
        "financial-risk/dbt_manifest.json",
        "financial-risk/definitions.py",
        "financial-risk/profiles.yml",
        "floe.schema.json",
        "workspace.yaml",
    ]
    assert a == b


@then("the artifact holds no timestamp and no absolute path")
def no_volatile(repo_out: Path) -> None:
    artifact = json.loads((repo_out / "a" / "financial-risk" / ARTIFACT).read_text())
    assert artifact["dbt"]["project_dir"] == "dbt"
    link = repo_out / "a" / "financial-risk" / "dbt" / "models"
    assert os.readlink(link) == "../../../../../../demo/financial-risk/models"
    for path in (repo_out / "a").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert str(ROOT) not in text and "/tmp/" not in text, path.name
            assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d", text), path.name


@then(parsers.parse('the schema requires "{required}" and describes "{field}"'))
def schema_shape(tmp_path: Path, required: str, field: str) -> None:
    schema = json.loads((tmp_path / "floe.schema.json").read_text())
    assert sorted(schema["required"]) == sorted(r.strip() for r in required.split(","))
    parent, child = field.split(".")
    ref = schema["properties"][parent]["$ref"].split("/")[-1]
    assert "description" in schema["$defs"][ref]["properties"][child]
    assert schema["$defs"][ref]["properties"][child]["pattern"] == "^[a-z][a-z0-9-]{1,62}$"


@then("every demo floe.yaml validates against the exported schema")
def demo_valid(tmp_path: Path) -> None:
    schema = json.loads((tmp_path / "floe.schema.json").read_text())
    for product in PRODUCTS:
        jsonschema.validate(yaml.safe_load((DEMO / product / "floe.yaml").read_text()), schema)


@then("a floe.yaml with an unknown top-level key fails the exported schema")
def unknown_key_fails(tmp_path: Path) -> None:
    schema = json.loads((tmp_path / "floe.schema.json").read_text())
    doc = yaml.safe_load((DEMO / "customer-360" / "floe.yaml").read_text())
    doc["warehouse"] = "mine"
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.validate(doc, schema)


@then(parsers.parse('no artifact was written for "{product}"'))
def nothing_written(workspace: Workspace, product: str) -> None:
    assert (
        sorted(p.name for p in workspace.out.rglob("*")) == []
        if workspace.out.exists()
        else not (workspace.out / product).exists()
    )
