"""Steps on schema evolution and time travel: products change their models, the platform runs
them, and the tables are read back from the Iceberg REST catalog (pyiceberg) and the floe CLI."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_bdd import given, parsers, then, when

from floe.compiler import compile_pipeline
from floe.platform import runs
from floe.platform.dagster_client import RunResult
from steps.common import CommandResult
from steps.compiler import _copy_product, _run
from steps.pipeline import catalog, run_product
from steps.platform import LivePlatform, demo_copy


def _model_file(product_dir: Path, model: str) -> Path:
    (path,) = (product_dir / "models").rglob(f"{model}.sql")
    return path


def _add_select(product_dir: Path, model: str, expression: str) -> None:
    """Add ``expression`` as the first item of the model's final (unindented) select list."""
    path = _model_file(product_dir, model)
    sql = path.read_text()
    last = list(re.finditer(r"^select\s*$", sql, re.M))[-1]
    path.write_text(sql[: last.end()] + f"\n    {expression}," + sql[last.end() :])


def _drop_select(product_dir: Path, model: str, item: str) -> None:
    path = _model_file(product_dir, model)
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if line.strip() != item]
    assert len(kept) == len(lines) - 1, f"{item!r} is not one line of {path.name}"
    path.write_text("".join(kept))


def _document_type(product_dir: Path, model: str, column: str, data_type: str) -> None:
    path = _model_file(product_dir, model).with_name("schema.yml")
    doc = yaml.safe_load(path.read_text())
    (entry,) = [m for m in doc["models"] if m["name"] == model]
    (col,) = [c for c in entry["columns"] if c["name"] == column]
    col["data_type"] = data_type
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.fixture
def evolving() -> dict[str, Any]:
    """The evolving product of a scenario: its folder, namespace and what its runs left."""
    return {}


## Live platform: a product whose models change between runs


def drop_tables(live: LivePlatform, namespace: str) -> None:
    """Every table of the namespace dropped: a scenario's start owes nothing to what another
    scenario wrote there."""
    cat = catalog(live)
    if cat.namespace_exists(namespace):
        for table in cat.list_tables(namespace):
            cat.drop_table(table)
        assert cat.list_tables(namespace) == []


@given(
    parsers.parse(
        'the product "{name}" has run through Dagster from fresh tables, as the demo wrote it'
    )
)
def fresh_evolving_run(
    live_platform: LivePlatform,
    evolving: dict[str, Any],
    name: str,
    configure: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """``configure`` edits the copy's floe.yaml (as a mapping) before it is compiled."""
    product_dir = demo_copy(live_platform.settings.home / "products", name)
    if configure is not None:
        spec_file = product_dir / "floe.yaml"
        spec = yaml.safe_load(spec_file.read_text())
        configure(spec)
        spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    namespace = name.replace("-", "_")
    # This scenario's own starting state: no tables, no earlier compile to compare against.
    cat = catalog(live_platform)
    drop_tables(live_platform, namespace)
    previous = live_platform.build / name / "compiled_artifacts.json"
    previous.unlink(missing_ok=True)
    compile_pipeline(product_dir, output_dir=live_platform.build)
    first = run_product(live_platform, name)
    assert first.status == "SUCCESS", first.errors[:3]
    silver = cat.load_table(f"{namespace}.silver_transactions")
    evolving.update(
        name=name,
        dir=product_dir,
        namespace=namespace,
        first_files=set(silver.inspect.data_files().column("file_path").to_pylist()),
        first_rows=silver.scan().to_arrow().num_rows,
        first_gold_snapshot=cat.load_table(f"{namespace}.gold_customer_360").snapshots()[0],
    )


@when(
    parsers.parse(
        'two of its models select a new column each: "{model_a}" "{expr_a}", "{model_b}" "{expr_b}"'
    )
)
def add_two_columns(
    evolving: dict[str, Any], model_a: str, expr_a: str, model_b: str, expr_b: str
) -> None:
    _add_select(evolving["dir"], model_a, expr_a)
    _add_select(evolving["dir"], model_b, expr_b)


@when(
    "the product is compiled and its pipeline runs again through Dagster",
    target_fixture="second_run",
)
def compile_and_rerun(live_platform: LivePlatform, evolving: dict[str, Any]) -> RunResult:
    compile_pipeline(evolving["dir"], output_dir=live_platform.build)
    return run_product(live_platform, evolving["name"])


def _table(live: LivePlatform, evolving: dict[str, Any], name: str) -> Any:
    return catalog(live).load_table(f"{evolving['namespace']}.{name}")


@then(
    parsers.parse(
        'table "{name}" has a second schema that adds the column "{column}", and every data '
        "file of the first run is still in its current snapshot"
    )
)
def schema_added(
    live_platform: LivePlatform, evolving: dict[str, Any], name: str, column: str
) -> None:
    table = _table(live_platform, evolving, name)
    schemas = sorted(table.schemas().items())
    assert len(schemas) == 2, [s for s, _ in schemas]
    before, after = ([f.name for f in s.fields] for _, s in schemas)
    assert after == [*before, column], (before, after)
    assert table.schema().schema_id == schemas[1][0]
    now = set(table.inspect.data_files().column("file_path").to_pylist())
    assert evolving["first_files"] <= now, sorted(evolving["first_files"] - now)


@then(
    parsers.parse(
        'in "{name}" the rows of the first run read null for "{column}" and the rows the '
        'second run added carry "lower(channel)"'
    )
)
def old_rows_null(
    live_platform: LivePlatform, evolving: dict[str, Any], name: str, column: str
) -> None:
    table = _table(live_platform, evolving, name)
    rows = table.scan().to_arrow().to_pylist()
    added = int(table.current_snapshot().summary.additional_properties["added-records"])
    carrying = [r for r in rows if r[column] is not None]
    assert len(rows) == evolving["first_rows"]
    assert 0 < added == len(carrying) < len(rows), (added, len(carrying), len(rows))
    assert all(r[column] == r["channel"].lower() for r in carrying)


@then(parsers.parse('in "{name}" every row carries "{column}" equal to "upper(left(country, 2))"'))
def gold_carries(
    live_platform: LivePlatform, evolving: dict[str, Any], name: str, column: str
) -> None:
    rows = _table(live_platform, evolving, name).scan().to_arrow().to_pylist()
    assert len(rows) == 200
    assert all(r[column] == r["country"][:2].upper() for r in rows)


@then(
    parsers.parse(
        'the first snapshot of "{name}" still reads {rows:d} rows with its {n:d} original columns'
    )
)
def first_snapshot_reads(
    live_platform: LivePlatform, evolving: dict[str, Any], name: str, rows: int, n: int
) -> None:
    table = _table(live_platform, evolving, name)
    first = evolving["first_gold_snapshot"]
    data = table.scan(snapshot_id=first.snapshot_id).to_arrow()
    assert data.num_rows == rows
    assert data.column_names == [f.name for f in table.schemas()[first.schema_id].fields]
    assert len(data.column_names) == n


## Partition evolution

JULY_2026 = (2026 - 1970) * 12 + 6  # Iceberg's month transform: months since 1970-01


@when(
    parsers.parse(
        'its model "{model}" becomes an appending incremental model with partition_by "{transform}"'
    )
)
def configure_partitioning(evolving: dict[str, Any], model: str, transform: str) -> None:
    """Append-only, as DuckDB needs for a table whose files span partition specs: new rows are
    those after the latest one already in the table."""
    path = _model_file(evolving["dir"], model)
    sql = path.read_text()
    config = re.match(r"\{\{ config\(.*\) \}\}", sql)
    assert config, f"{path.name} starts with no config() call"
    header = (
        "{{ config(materialized='incremental', incremental_strategy='append', "
        f"partition_by=['{transform}']) }}}}"
    )
    body = sql[config.end() :]
    assert body.count("transaction_ts >= ") == 1, body
    path.write_text(header + body.replace("transaction_ts >= ", "transaction_ts > "))


@when(parsers.parse('{count:d} completed transactions of July 2026 are added to its seed "{seed}"'))
def july_transactions(evolving: dict[str, Any], count: int, seed: str) -> None:
    path = evolving["dir"] / "seeds" / f"{seed}.csv"
    first_id = max(int(r["transaction_id"]) for r in csv.DictReader(path.open())) + 1
    with path.open("a", encoding="utf-8") as fh:
        for i in range(count):
            ts = f"2026-07-{1 + i % 28:02d} {8 + i % 10:02d}:15:00"
            fh.write(f"{first_id + i},{1 + i},{ts},{10 + i}.50,web,completed\n")
    evolving["july"] = count


def _files(table: Any) -> list[dict[str, Any]]:
    files = table.inspect.data_files().select(["file_path", "spec_id", "partition"])
    return list(files.to_pylist())


@then(
    parsers.parse(
        'table "{name}" has a second partition spec "{transform}" and keeps its first, '
        "unpartitioned one"
    )
)
def second_spec(
    live_platform: LivePlatform, evolving: dict[str, Any], name: str, transform: str
) -> None:
    table = _table(live_platform, evolving, name)
    specs = table.specs()
    assert sorted(specs) == [0, 1], specs
    assert specs[0].fields == ()
    (field,) = specs[1].fields
    source = table.schema().find_field(field.source_id).name
    assert f"{field.transform}({source})" == transform, (str(field.transform), source)
    assert table.spec().spec_id == 1


@then(
    parsers.parse(
        'the data files the second run wrote to "{name}" are under the second spec, in the '
        "partition of July 2026, and every data file of the first run is still in the current "
        "snapshot under the first spec"
    )
)
def files_by_spec(live_platform: LivePlatform, evolving: dict[str, Any], name: str) -> None:
    files = _files(_table(live_platform, evolving, name))
    old = [f for f in files if f["file_path"] in evolving["first_files"]]
    new = [f for f in files if f["file_path"] not in evolving["first_files"]]
    assert {f["file_path"] for f in old} == evolving["first_files"]
    assert {f["spec_id"] for f in old} == {0}, old
    assert new and {f["spec_id"] for f in new} == {1}, new
    months = {next(iter(f["partition"].values())) for f in new}
    assert months == {JULY_2026}, months


@then(
    parsers.parse(
        '"{name}" reads the first run\'s rows and the July transactions together, and its first '
        "snapshot still reads the first run's rows"
    )
)
def rows_across_specs(live_platform: LivePlatform, evolving: dict[str, Any], name: str) -> None:
    table = _table(live_platform, evolving, name)
    rows = table.scan().to_arrow()
    assert rows.num_rows == evolving["first_rows"] + evolving["july"]
    july = table.scan(row_filter="transaction_ts >= '2026-07-01T00:00:00'").to_arrow()
    assert july.num_rows == evolving["july"]
    first = table.snapshots()[0]
    assert table.scan(snapshot_id=first.snapshot_id).to_arrow().num_rows == evolving["first_rows"]


## Time travel through the CLI


@given(
    parsers.parse('the current snapshot of "{identifier}" and its rows are noted'),
    target_fixture="noted",
)
def note_snapshot(live_platform: LivePlatform, identifier: str) -> dict[str, Any]:
    table = catalog(live_platform).load_table(identifier)
    snap = table.current_snapshot()
    rows = table.scan().to_arrow().to_pylist()
    return {"identifier": identifier, "snapshot": snap.snapshot_id, "rows": rows}


def _cli_rows(result: CommandResult) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _history(live: LivePlatform, identifier: str) -> list[dict[str, Any]]:
    home = str(live.settings.home)
    return _cli_rows(_run(["table", "history", identifier, "--json", "--home", home]))


def _same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    def key(rows: list[dict[str, Any]]) -> list[str]:
        return sorted(json.dumps(r, default=str, sort_keys=True) for r in rows)

    assert len(got) == len(want)
    assert key(got) == key(want)


@then(
    parsers.parse(
        'floe table history of "{identifier}" ends with the noted snapshot, then "{ops}", with '
        "{rows:d} live rows after each"
    )
)
def history_ends(
    live_platform: LivePlatform, noted: dict[str, Any], identifier: str, ops: str, rows: int
) -> None:
    history = _history(live_platform, identifier)
    tail = history[-3:]
    assert tail[0]["snapshot_id"] == noted["snapshot"], tail
    assert [h["operation"] for h in tail[1:]] == [o.strip() for o in ops.split(",")]
    assert [h["total_records"] for h in tail] == [rows, 0, rows]
    assert tail[1]["parent_id"] == tail[0]["snapshot_id"]
    noted["next_committed_at"] = tail[1]["committed_at"]
    noted["committed_at"] = tail[0]["committed_at"]


@then("floe table show at the noted snapshot id returns the noted rows")
def show_at_snapshot(live_platform: LivePlatform, noted: dict[str, Any]) -> None:
    args = ["table", "show", noted["identifier"], "--snapshot", str(noted["snapshot"])]
    args += ["--limit", "100000", "--json", "--home", str(live_platform.settings.home)]
    _same_rows(_cli_rows(_run(args)), json.loads(json.dumps(noted["rows"], default=str)))


@then("floe table show as of a time between the noted snapshot and the next returns the noted rows")
def show_as_of(live_platform: LivePlatform, noted: dict[str, Any]) -> None:
    start = datetime.fromisoformat(noted["committed_at"])
    end = datetime.fromisoformat(noted["next_committed_at"])
    assert start < end
    # Whole seconds (the CLI's format): the two commits are a whole run (over 5 s) apart.
    between = (start + (end - start) / 2).astimezone(UTC).replace(microsecond=0)
    assert start <= between < end, (start, between, end)
    args = ["table", "show", noted["identifier"], "--as-of", between.strftime("%Y-%m-%dT%H:%M:%S")]
    args += ["--limit", "100000", "--json", "--home", str(live_platform.settings.home)]
    _same_rows(_cli_rows(_run(args)), json.loads(json.dumps(noted["rows"], default=str)))


@then(parsers.parse('floe table show at snapshot id {snapshot:d} fails with "{text}"'))
def show_missing_snapshot(
    live_platform: LivePlatform, noted: dict[str, Any], snapshot: int, text: str
) -> None:
    args = ["table", "show", noted["identifier"], "--snapshot", str(snapshot)]
    result = _run([*args, "--home", str(live_platform.settings.home)])
    assert result.exit_code == 1, result.output
    assert text in result.stderr


## Compile time: breaking changes


@given(
    parsers.parse(
        'a copy of "{product}" whose "{model}" documents its column "{column}" as "{data_type}", '
        "compiled once into its own output folder"
    ),
    target_fixture="evolving",
)
def compiled_once(
    tmp_path: Path, product: str, model: str, column: str, data_type: str
) -> dict[str, Any]:
    product_dir = _copy_product(tmp_path, product)
    _document_type(product_dir, model, column, data_type)
    out = tmp_path / "out"
    result = _run(["compile", str(product_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    artifact = out / product / "compiled_artifacts.json"
    return {"dir": product_dir, "out": out, "artifact": artifact, "sha": _sha(artifact)}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@when(parsers.parse('its model "{model}" no longer selects "{item}"'))
def drop_item(evolving: dict[str, Any], model: str, item: str) -> None:
    _drop_select(evolving["dir"], model, item)


@when(parsers.parse('its model "{model}" documents its column "{column}" as "{data_type}"'))
def retype(evolving: dict[str, Any], model: str, column: str, data_type: str) -> None:
    _document_type(evolving["dir"], model, column, data_type)


@when(parsers.parse('its model "{model}" also selects "{expression}"'))
def add_item(evolving: dict[str, Any], model: str, expression: str) -> None:
    _add_select(evolving["dir"], model, expression)


@when(parsers.parse('its floe.yaml declares version "{version}"'))
def declare_version(evolving: dict[str, Any], version: str) -> None:
    path = evolving["dir"] / "floe.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["metadata"]["version"] = version
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


@when("the copy is compiled again into the same folder", target_fixture="command")
def compile_again(evolving: dict[str, Any]) -> CommandResult:
    return _run(["compile", str(evolving["dir"]), "-o", str(evolving["out"])])


@then("the compiled artifact in the output folder is the one of the first compile")
def artifact_unchanged(evolving: dict[str, Any]) -> None:
    assert _sha(evolving["artifact"]) == evolving["sha"]


@then(parsers.parse('the compiled artifact records product version "{version}"'))
def artifact_version(evolving: dict[str, Any], version: str) -> None:
    assert runs.load_artifact(evolving["out"], evolving["dir"].name).product.version == version
