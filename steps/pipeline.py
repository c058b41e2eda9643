"""Steps that run products through Dagster on the live platform and read the results back from
the Iceberg REST catalog (pyiceberg) and the S3 bucket - never from DuckDB (TQR-014)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any, cast

import allure
import pyarrow.compute as pc
import pytest
from pyarrow import fs
from pytest_bdd import given, parsers, then, when

from floe.compiler import compile_pipeline
from floe.platform import runs
from floe.platform.dagster_client import DagsterClient, RunResult
from floe.runtime.iceberg import open_catalog
from steps.common import DEMO, PLAIN_DBT, PLAIN_PRODUCT, CommandResult
from steps.platform import LivePlatform, wait_until


def run_product(live: LivePlatform, product: str, output_dir: Path | None = None) -> RunResult:
    compiled = runs.load_artifact(output_dir or live.build, product)
    run_id = runs.launch(live.settings, compiled, lambda _: None)
    return runs.wait(live.settings, run_id, timeout=900, progress=lambda _: None)


def catalog(live: LivePlatform, product: str = "customer-360") -> Any:
    return open_catalog(runs.load_artifact(live.build, product))


def seed_rows(product: str, seed: str) -> list[dict[str, str]]:
    text = (DEMO / product / "seeds" / f"{seed}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


## Given


@pytest.fixture(scope="session")
def latest_runs() -> dict[str, RunResult]:
    """Per product, the last successful run a scenario started: reused while it is still the
    product's newest run in Dagster, so the tables hold exactly what it wrote."""
    return {}


@given(parsers.parse('the pipeline of "{product}" has run through Dagster'), target_fixture="run")
def completed_run(
    live_platform: LivePlatform, latest_runs: dict[str, RunResult], product: str
) -> RunResult:
    job = runs.load_artifact(live_platform.build, product).orchestration.job_name
    newest = DagsterClient(live_platform.url("dagster")).job_runs(job)[:1]
    cached = latest_runs.get(product)
    if cached is None or newest != [cached.run_id]:
        latest_runs[product] = run_product(live_platform, product)
    assert latest_runs[product].status == "SUCCESS", latest_runs[product].errors
    return latest_runs[product]


@given(
    parsers.parse('the product "{name}" in the platform, whose model "{model}" fails at run time'),
    target_fixture="broken",
)
def failing_copy(
    live_platform: LivePlatform, name: str, model: str, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """The session's copy of customer-360 (see steps.platform), with one model broken, and
    mended again when the scenario ends, whatever it did."""
    products = live_platform.settings.home / "products" / name
    (sql_file,) = (products / "models").rglob(f"{model}.sql")
    original = sql_file.read_text()
    request.addfinalizer(lambda: sql_file.write_text(original))
    # Valid SQL (so the compiler accepts it) that fails when DuckDB executes it.
    sql_file.write_text(f"select error('simulated failure in {model}') as segment\n")
    return {"name": name, "model": model, "sql_file": sql_file, "original": original}


## When


@when(
    parsers.parse('the pipeline of "{product}" is triggered through the Dagster webserver'),
    target_fixture="run",
)
def trigger(
    live_platform: LivePlatform, latest_runs: dict[str, RunResult], product: str
) -> RunResult:
    result = run_product(live_platform, product)
    if result.status == "SUCCESS":
        latest_runs[product] = result
    return result


@when(parsers.parse('the pipeline of "{product}" runs a second time'), target_fixture="second_run")
def trigger_again(live_platform: LivePlatform, product: str) -> RunResult:
    return run_product(live_platform, product)


@when("its pipeline is triggered through the Dagster webserver", target_fixture="run")
def trigger_broken(live_platform: LivePlatform, broken: dict[str, Any]) -> RunResult:
    return run_product(live_platform, broken["name"])


@when("the model is fixed and the run is re-executed from failure", target_fixture="run")
def fix_and_reexecute(
    live_platform: LivePlatform, broken: dict[str, Any], run: RunResult
) -> RunResult:
    broken["sql_file"].write_text(broken["original"])
    compiled = runs.load_artifact(live_platform.build, broken["name"])
    run_id = runs.reexecute_from_failure(live_platform.settings, compiled, run.run_id)
    return runs.wait(live_platform.settings, run_id, timeout=900, progress=lambda _: None)


@when(
    parsers.parse('the Iceberg REST catalog is queried for namespace "{namespace}"'),
    target_fixture="tables",
)
def list_tables(live_platform: LivePlatform, namespace: str) -> list[str]:
    return sorted(t[-1] for t in catalog(live_platform).list_tables(namespace))


@when(
    parsers.parse('the catalog is stopped and floe run starts "{product}"'),
    target_fixture="command",
)
def run_without_catalog(live_platform: LivePlatform, product: str) -> CommandResult:
    from floe.cli import invoke
    from floe.platform.dagster_client import DagsterClient

    seaweed = live_platform.platform.service("seaweedfs")
    client = DagsterClient(live_platform.url("dagster"))
    before = _run_count(client)
    seaweed.stop()
    try:
        args = _run_args(live_platform, product)
        result = invoke(args)
        runs_started = _run_count(client) - before
    finally:
        seaweed.start()
        seaweed.wait_healthy(60)
    return CommandResult(
        [*args, f"runs_started={runs_started}"], result.exit_code, result.stdout, result.stderr
    )


@when(
    parsers.parse(
        'the catalog is stopped, floe run starts "{product}", and the catalog is started again '
        "once floe logs its first retry"
    ),
    target_fixture="run",
)
def catalog_comes_back(live_platform: LivePlatform, product: str) -> RunResult:
    """The retry half of the 'catalog temporarily unavailable' edge case. On the local target
    the catalog is SeaweedFS's Iceberg REST service, which also serves S3: both go down and come
    back; every other service stays up."""
    seaweed = live_platform.platform.service("seaweedfs")
    client = DagsterClient(live_platform.url("dagster"))
    job = runs.load_artifact(live_platform.build, product).orchestration.job_name
    before = set(client.job_runs(job))
    args = ["--log-format", "json", *_run_args(live_platform, product)]
    seaweed.stop()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "floe"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **live_platform.platform.env()},
    )
    events: list[dict[str, Any]] = []
    try:
        for line in cast(IO[str], proc.stderr):
            if line.startswith("{"):
                events.append(json.loads(line))
            if events and events[-1].get("event") == "catalog.retry":
                break
        seaweed.start()
        seaweed.wait_healthy(60)
        stdout, rest = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
        if not seaweed.healthy():
            seaweed.start()
            seaweed.wait_healthy(60)
    events += [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
    allure.attach(
        json.dumps(events, indent=2), "floe run's log events", allure.attachment_type.JSON
    )
    assert proc.returncode == 0, (stdout, events[-5:])
    retries = [e for e in events if e["event"] == "catalog.retry"]
    available = [e for e in events if e["event"] == "catalog.available"]
    assert retries[0]["attempt"] == 1 and retries[0]["attempts"] == runs.CATALOG_ATTEMPTS, retries
    assert len(available) == 1 and available[0]["attempt"] == len(retries) + 1, available
    assert len(retries) < runs.CATALOG_ATTEMPTS, retries
    started = [r for r in client.job_runs(job) if r not in before]
    assert len(started) == 1, started
    return client.run(started[0])


def _run_args(live: LivePlatform, product: str) -> list[str]:
    return ["run", product, "--output-dir", str(live.build), "--home", str(live.settings.home)]


def _run_count(client: Any) -> int:
    return int(client.run_count())


@when(
    parsers.parse(
        'the run worker of an "{product}" run is killed after its first table is written'
    ),
    target_fixture="run",
)
def kill_run_worker(live_platform: LivePlatform, product: str) -> RunResult:
    """SIGKILL the process executing the run, and its dbt child, as if its pod died."""
    import psutil

    from floe.platform.dagster_client import DagsterClient

    compiled = runs.load_artifact(live_platform.build, product)
    run_id = runs.launch(live_platform.settings, compiled, lambda _: None)
    client = DagsterClient(live_platform.url("dagster"))
    wait_until(lambda: len(client.run(run_id).materialized) >= 1, 300, "a first table")
    # The run worker tails its compute logs, whose paths carry the run id: their parent is it.
    tails = [
        p
        for p in psutil.process_iter(["pid", "ppid", "cmdline"])
        if f"/{run_id}/compute_logs/" in " ".join(p.info["cmdline"] or [])
    ]
    workers = [psutil.Process(pid) for pid in {p.info["ppid"] for p in tails}]
    assert len(workers) == 1, [t.info for t in tails]
    family = [workers[0], *workers[0].children(recursive=True)]
    for proc in family:
        proc.kill()
    psutil.wait_procs(family, timeout=10)
    return runs.wait(live_platform.settings, run_id, timeout=300, progress=lambda _: None)


@when("the run is re-executed from failure", target_fixture="run")
def reexecute(live_platform: LivePlatform, run: RunResult) -> RunResult:
    product = run.failed_assets[0].split("/")[0].replace("_", "-")
    compiled = runs.load_artifact(live_platform.build, product)
    run_id = runs.reexecute_from_failure(live_platform.settings, compiled, run.run_id)
    return runs.wait(live_platform.settings, run_id, timeout=900, progress=lambda _: None)


## Then


@then(parsers.parse('the Dagster run ends with status "{status}"'))
def run_status(run: RunResult, status: str) -> None:
    assert run.status == status, (run.status, run.errors[:3])


@then(parsers.parse("the run materialized {n:d} tables, each after the tables it depends on"))
def materialized_in_order(live_platform: LivePlatform, run: RunResult, n: int) -> None:
    assert len(run.materialized) == n, run.materialized
    product = run.materialized[0].split("/")[0].replace("_", "-")
    compiled = runs.load_artifact(live_platform.build, product)
    position = {key.split("/")[-1]: i for i, key in enumerate(run.materialized)}
    assert sorted(position) == sorted(t.name for t in compiled.transforms)
    for t in compiled.transforms:
        for upstream in t.depends_on:
            assert position[upstream] < position[t.name], (upstream, t.name)


@then("the run recorded the row count of every table from the catalog")
def row_counts_recorded(live_platform: LivePlatform, run: RunResult) -> None:
    assert sorted(run.row_counts) == sorted(run.materialized)
    namespace = run.materialized[0].split("/")[0]
    cat = catalog(live_platform)
    for key, count in run.row_counts.items():
        table = cat.load_table(f"{namespace}.{key.split('/')[-1]}")
        assert table.scan().count() == count, key


@then(
    parsers.parse(
        "{n:d} asset checks (dbt tests and Great Expectations checks) ran after "
        "their models, and all passed"
    )
)
def tests_passed(run: RunResult, n: int) -> None:
    assert len(run.checks) == n, sorted(run.checks)
    assert all(run.checks.values()), {k: v for k, v in run.checks.items() if not v}
    assert run.order[0].split("/")[-1].startswith("raw_")
    checks = [(i, e.split(":")[1]) for i, e in enumerate(run.order) if e.startswith("check:")]
    assert len(checks) == n
    for position, asset in checks:
        # Each check follows its own table's materialization in the run's event stream.
        assert asset in run.order[:position], (asset, run.order[: position + 1])


@then(
    parsers.parse(
        'dbt tests checked the tables of each layer "{layers}" of "{product}", and passed'
    )
)
def tests_per_layer(live_platform: LivePlatform, run: RunResult, layers: str, product: str) -> None:
    compiled = runs.load_artifact(live_platform.build, product)
    namespace = compiled.lakehouse.namespace
    ran = [e.split(":", 2)[1:] for e in run.order if e.startswith("check:")]
    for layer in (name.strip() for name in layers.split(",")):
        layered = [t for t in compiled.transforms if t.layer == layer]
        tables = {f"{namespace}/{t.table.split('.', 1)[1]}" for t in layered}
        dbt_tests = {test for t in layered for test in t.tests}
        on_layer = [name for asset, name in ran if asset in tables and name in dbt_tests]
        assert on_layer, f"no dbt test ran on a {layer} table of {product}"
        assert all(run.checks[name] for name in on_layer), {n: run.checks[n] for n in on_layer}


@then(parsers.parse('it lists the tables "{names}"'))
def tables_listed(tables: list[str], names: str) -> None:
    assert tables == sorted(n.strip() for n in names.split(","))


@then(parsers.parse('table "{name}" has the columns "{columns}"'))
def table_columns(live_platform: LivePlatform, name: str, columns: str) -> None:
    table = catalog(live_platform).load_table(f"customer_360.{name}")
    assert [f.name for f in table.schema().fields] == [c.strip() for c in columns.split(",")]


@then(
    parsers.parse(
        'table "{name}" holds {rows:d} rows in its current snapshot, whose data files '
        'are parquet objects in the "{bucket}" bucket'
    )
)
def table_rows_and_files(live_platform: LivePlatform, name: str, rows: int, bucket: str) -> None:
    table = catalog(live_platform).load_table(f"customer_360.{name}")
    assert table.scan().count() == rows
    current = table.current_snapshot()
    assert current.snapshot_id == table.metadata.snapshots[-1].snapshot_id
    assert current.summary.operation.value == "append"  # the insert half of the replace
    files = [task.file.file_path for task in table.scan().plan_files()]
    assert files, "the snapshot lists no data files"
    assert all(
        f.startswith(f"s3://{bucket}/customer_360/{name}/data/") and f.endswith(".parquet")
        for f in files
    ), files
    s3 = live_platform.s3()
    sizes = [s3.get_file_info(f.removeprefix("s3://")).size for f in files]
    assert all(size > 0 for size in sizes), sizes
    assert s3.get_file_info(files[0].removeprefix("s3://")).type == fs.FileType.File


@then(parsers.parse('the catalog holds one namespace per product: "{names}"'))
def namespaces(live_platform: LivePlatform, names: str) -> None:
    found = sorted(n[0] for n in catalog(live_platform).list_namespaces())
    wanted = sorted(n.strip() for n in names.split(","))
    assert [n for n in found if n in wanted] == wanted


def _table(live: LivePlatform, name: str) -> Any:
    return catalog(live).load_table(f"customer_360.{name}").scan().to_arrow()


@then(parsers.parse('bronze "{name}" holds every row of its seed file'))
def bronze_raw(live_platform: LivePlatform, name: str) -> None:
    seed = seed_rows("customer-360", name.replace("bronze_", "raw_"))
    table = _table(live_platform, name)
    assert table.num_rows == len(seed)
    assert sorted(table.column(table.column_names[0]).to_pylist()) == sorted(
        int(r[table.column_names[0]]) for r in seed
    )


@then(parsers.parse('silver "{name}" holds only completed transactions with a positive amount'))
def silver_cleaned(live_platform: LivePlatform, name: str) -> None:
    seed = seed_rows("customer-360", "raw_transactions")
    expected = sorted(
        int(r["transaction_id"])
        for r in seed
        if r["status"] == "completed" and float(r["amount"]) > 0
    )
    table = _table(live_platform, name)
    assert sorted(table.column("transaction_id").to_pylist()) == expected
    assert "status" not in table.column_names


@then(parsers.parse('silver "{name}" has every e-mail trimmed and lower-case'))
def silver_emails(live_platform: LivePlatform, name: str) -> None:
    emails = _table(live_platform, name).column("email").to_pylist()
    dirty = [
        r["email"]
        for r in seed_rows("customer-360", "raw_customers")
        if r["email"] != r["email"].strip().lower()
    ]
    assert len(dirty) == 11  # the seed has padded upper-case e-mails on purpose
    assert emails == [e.strip().lower() for e in emails]


@then(
    parsers.parse(
        'gold "{name}" holds one row per customer whose orders and lifetime value add up to silver'
    )
)
def gold_aggregated(live_platform: LivePlatform, name: str) -> None:
    gold = _table(live_platform, name)
    silver = _table(live_platform, "silver_transactions")
    assert gold.num_rows == len(seed_rows("customer-360", "raw_customers"))
    assert pc.count_distinct(gold.column("customer_id")).as_py() == gold.num_rows
    assert pc.sum(gold.column("total_orders")).as_py() == silver.num_rows
    assert (
        abs(pc.sum(gold.column("lifetime_value")).as_py() - pc.sum(silver.column("amount")).as_py())
        < 0.01 * gold.num_rows
    )


@then(parsers.parse('gold "{name}" counts every customer in exactly one segment'))
def gold_segments(live_platform: LivePlatform, name: str) -> None:
    seg = _table(live_platform, name)
    assert sorted(seg.column("segment").to_pylist()) == [
        "champion",
        "dormant",
        "loyal",
        "occasional",
    ]
    assert pc.sum(seg.column("customers")).as_py() == 200


@then(
    parsers.parse(
        'each seed table of "{product}" in the catalog holds the rows and columns of its seed file'
    )
)
def seeds_loaded(live_platform: LivePlatform, product: str) -> None:
    compiled = runs.load_artifact(live_platform.build, product)
    cat = catalog(live_platform, product)
    seeds = [t for t in compiled.transforms if t.resource_type == "seed"]
    assert len(seeds) == 2
    for t in seeds:
        rows = seed_rows(product, t.name)
        table = cat.load_table(t.table).scan().to_arrow()
        assert table.num_rows == len(rows), t.name
        assert table.column_names == list(rows[0]), t.name


@then(parsers.parse('the second run ends with status "{status}"'))
def second_status(second_run: RunResult, status: str) -> None:
    assert second_run.status == status, second_run.errors[:3]


@then(parsers.parse('"{model}" holds as many rows as after the first run, with unique "{key}"'))
def incremental_no_duplicates(
    live_platform: LivePlatform, run: RunResult, second_run: RunResult, model: str, key: str
) -> None:
    table_key = next(k for k in second_run.row_counts if k.endswith("/" + model))
    assert second_run.row_counts[table_key] == run.row_counts[table_key]
    table = catalog(live_platform, "financial-risk").load_table(table_key.replace("/", "."))
    ids = table.scan(selected_fields=(key,)).to_arrow().column(key)
    assert pc.count_distinct(ids).as_py() == len(ids) == second_run.row_counts[table_key]


@then(parsers.parse('"{model}" gained a snapshot in the second run'))
def newer_snapshot(
    live_platform: LivePlatform, run: RunResult, second_run: RunResult, model: str
) -> None:
    compiled = runs.load_artifact(live_platform.build, "financial-risk")
    table_id = compiled.transform(model).table
    table = catalog(live_platform, "financial-risk").load_table(table_id)
    key = table_id.replace(".", "/")
    first, second = run.snapshot_ids[key], second_run.snapshot_ids[key]
    assert table.current_snapshot().snapshot_id == second != first
    # The second run's commit descends from the first's: history kept, not replaced.
    ancestors, snapshot = [], table.snapshot_by_id(second)
    while snapshot is not None and snapshot.parent_snapshot_id is not None:
        ancestors.append(snapshot.parent_snapshot_id)
        snapshot = table.snapshot_by_id(snapshot.parent_snapshot_id)
    assert first in ancestors, (first, ancestors)


@then(
    parsers.parse(
        'the run failed to materialize only "{model}" and materialized the other {n:d} tables'
    )
)
def failed_only(run: RunResult, model: str, n: int) -> None:
    assert [k.split("/")[-1] for k in run.failed_assets] == [model]
    assert len(run.materialized) == n
    assert model not in {k.split("/")[-1] for k in run.materialized}


@then(parsers.parse('the re-execution materialized only "{model}"'))
def reexecuted_only(run: RunResult, model: str) -> None:
    assert [k.split("/")[-1] for k in run.materialized] == [model]


@then(parsers.parse("no Dagster run was started"))
def no_run_started(command: CommandResult) -> None:
    assert command.args[-1] == "runs_started=0"


@then(parsers.parse('the quality checks "{names}" of "{model}" passed over {rows:d} rows'))
def quality_passed(run: RunResult, names: str, model: str, rows: int) -> None:
    wanted = [n.strip() for n in names.split(",")]
    assert {n: run.checks.get(n) for n in wanted} == dict.fromkeys(wanted, True)
    assert run.check_rows == dict.fromkeys(wanted, rows)


@then(parsers.parse('every table of "{product}" holds the rows of a complete run'))
def complete_tables(live_platform: LivePlatform, product: str) -> None:
    compiled = runs.load_artifact(live_platform.build, product)
    cat = catalog(live_platform, product)
    counts = {t.name: cat.load_table(t.table).scan().count() for t in compiled.transforms}
    expected_seeds = {
        t.name: len(seed_rows(product, t.name))
        for t in compiled.transforms
        if t.resource_type == "seed"
    }
    assert {k: counts[k] for k in expected_seeds} == expected_seeds
    # Bronze keeps every row; silver drops duplicates and empty values; gold aggregates.
    assert counts["bronze_readings"] == expected_seeds["raw_readings"]
    assert counts["silver_readings"] == len(
        {r["reading_id"] for r in seed_rows(product, "raw_readings") if r["value"]}
    )
    assert counts["gold_maintenance_alerts"] == len(
        {r["machine_id"] for r in seed_rows(product, "raw_sensors")}
    )


## A plain dbt project, run unchanged


@given("the plain dbt project compiled against the platform's manifest", target_fixture="plain")
def plain_project(live_platform: LivePlatform) -> dict[str, Any]:
    """Compiled again into the live workspace (same bytes: the code location does not move)."""
    result = compile_pipeline(
        PLAIN_DBT, manifest=DEMO / "manifest.yaml", output_dir=live_platform.build
    )
    return {"warnings": result.warnings, "artifact": result.artifacts}


@when("its pipeline runs through Dagster twice", target_fixture="plain_runs")
def plain_runs_twice(live_platform: LivePlatform, plain: dict[str, Any]) -> list[RunResult]:
    return [run_product(live_platform, PLAIN_PRODUCT) for _ in range(2)]


@then(parsers.parse('both runs end with status "{status}"'))
def both_runs(plain_runs: list[RunResult], status: str) -> None:
    assert [r.status for r in plain_runs] == [status, status], [r.errors[:2] for r in plain_runs]


@then(parsers.parse('the compile warned that the view models "{names}" are built as tables'))
def view_warning(plain: dict[str, Any], names: str) -> None:
    (warning,) = plain["warnings"]
    assert f"materialized as 'view' ({names})" in warning, warning
    assert "built as a table" in warning
    built = {t.name: t.materialized for t in plain["artifact"].models}
    assert [n for n, m in sorted(built.items()) if m == "view"] == names.split(", ")


def _bare_dbt_build(tmp_path: Path) -> Path:
    """What dbt alone computes from the same project: a local DuckDB file, no floe at all."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    db = tmp_path / "bare.duckdb"
    (profiles / "profiles.yml").write_text(
        f"corner_shop:\n  target: bare\n  outputs:\n    bare:\n      type: duckdb\n"
        f"      path: '{db}'\n      threads: 1\n",
        encoding="utf-8",
    )
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [
            str(dbt),
            "build",
            "--project-dir",
            str(PLAIN_DBT),
            "--profiles-dir",
            str(profiles),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    return db


def _bare_dbt_table(tmp_path: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The baseline: the table as plain dbt left it in its own local database file."""
    import duckdb

    con = duckdb.connect(str(_bare_dbt_build(tmp_path)), read_only=True)
    try:
        rows = sorted(con.execute(f"select * from main.{table}").fetchall())
        return [d[0] for d in con.description], rows
    finally:
        con.close()


@then(
    parsers.parse(
        'gold "{table}" read through the Iceberg REST catalog equals a bare dbt build of the '
        "project on DuckDB"
    )
)
def plain_gold_matches(live_platform: LivePlatform, table: str, tmp_path: Path) -> None:
    lake = catalog(live_platform, PLAIN_PRODUCT).load_table(f"corner_shop.{table}")
    ours = _exact(lake.scan().to_arrow().to_pylist())
    columns, bare_rows = _bare_dbt_table(tmp_path, table)
    bare = _exact([dict(zip(columns, row, strict=True)) for row in bare_rows])
    assert [f.name for f in lake.schema().fields] == columns
    assert len(ours) == len(bare) == 6, (len(ours), len(bare))
    assert ours == bare


def _exact(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows to compare: a float sum depends on the order DuckDB adds in (92.85 or
    92.85000000000001), so floats compare to 9 decimals; everything else exactly."""
    return sorted(
        tuple(round(v, 9) if isinstance(v, float) else v for v in row.values()) for row in rows
    )


@then(
    parsers.parse(
        'silver "{table}" holds one row per seed order with a positive quantity, {n:d} in all'
    )
)
def plain_silver_no_duplicates(live_platform: LivePlatform, table: str, n: int) -> None:
    rows = catalog(live_platform, PLAIN_PRODUCT).load_table(f"corner_shop.{table}")
    data = rows.scan().to_arrow()
    seed = list(csv.DictReader(io.StringIO((PLAIN_DBT / "seeds" / "raw_orders.csv").read_text())))
    positive = sorted(int(r["order_id"]) for r in seed if int(r["quantity"]) > 0)
    assert sorted(data.column("order_id").to_pylist()) == positive
    assert data.num_rows == n
