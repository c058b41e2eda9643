"""Steps on triggers and maintenance: sensors and schedules evaluated by Dagster itself, tables
and the bucket read back through the catalog and S3."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pytest
import yaml
from pyarrow import fs
from pyarrow import parquet as pq
from pytest_bdd import given, parsers, then, when

from floe.compiler import compile_pipeline
from floe.platform import runs
from floe.platform.dagster_client import DagsterClient, RunResult
from floe.platform.process import SERVICE_MARK, ServiceProcess
from floe.runtime.maintenance import referenced_files
from steps.common import DEMO, CommandResult
from steps.compiler import _run
from steps.evolution import drop_tables, fresh_evolving_run
from steps.pipeline import catalog, run_product, seed_rows
from steps.platform import LivePlatform, demo_copy, wait_until


def _client(live: LivePlatform) -> DagsterClient:
    return DagsterClient(live.url("dagster"))


def _location(live: LivePlatform, product: str) -> str:
    return runs.load_artifact(live.build, product).orchestration.code_location


## Sensor


@given(parsers.parse('the product "{product}" has no run in Dagster'), target_fixture="trigger")
def no_runs(live_platform: LivePlatform, product: str) -> dict[str, Any]:
    client = _client(live_platform)
    job = runs.load_artifact(live_platform.build, product).orchestration.job_name
    # The product is reset to never having run: its past runs are deleted from Dagster.
    for run_id in client.job_runs(job):
        client.delete_run(run_id)
    assert client.job_runs(job) == []
    return {"product": product, "job": job}


@given(parsers.parse('the tables of "{product}" are dropped from the catalog'))
def tables_dropped(live_platform: LivePlatform, product: str) -> None:
    drop_tables(live_platform, runs.load_artifact(live_platform.build, product).lakehouse.namespace)


@when(parsers.parse('its sensor "{name}" is started through Dagster'))
def start_sensor(live_platform: LivePlatform, trigger: dict[str, Any], name: str) -> None:
    location = _location(live_platform, trigger["product"])
    assert _client(live_platform).start_sensor(location, name) == "RUNNING"
    trigger["sensor"] = name
    trigger["started"] = time.time()


@then(
    parsers.parse(
        "within {seconds:d} seconds the daemon's sensor tick requests a run tagged "
        '"{key}" = "{value}"'
    )
)
def sensor_requests(
    live_platform: LivePlatform, trigger: dict[str, Any], seconds: int, key: str, value: str
) -> None:
    client = _client(live_platform)
    deadline = time.monotonic() + seconds
    found: list[str] = []
    while time.monotonic() < deadline and not found:
        found = [
            r
            for r in client.runs_tagged("dagster/sensor_name", trigger["sensor"])
            if r in client.runs_tagged(key, value)
        ]
        time.sleep(2)
    assert len(found) == 1, f"no run requested by {trigger['sensor']} within {seconds}s"
    trigger["run_id"] = found[0]


@then(parsers.parse('that run ends with status "{status}" having materialized {n:d} tables'))
def sensor_run_ends(
    live_platform: LivePlatform, trigger: dict[str, Any], status: str, n: int
) -> None:
    result = _client(live_platform).wait(trigger["run_id"], timeout=600)
    assert result.status == status, result.errors[:3]
    assert len(set(result.materialized)) == n, result.materialized


@then(
    parsers.parse(
        'floe triggers lists the sensor "{name}" as RUNNING, its last tick naming no new run'
    )
)
def triggers_listed(live_platform: LivePlatform, trigger: dict[str, Any], name: str) -> None:
    home = str(live_platform.settings.home)
    args = [
        "triggers",
        trigger["product"],
        "-o",
        str(live_platform.build),
        "--home",
        home,
        "--json",
    ]
    # The tick after the run sees the product has run and skips; a tick in progress reads
    # STARTED, so the CLI is asked again until the newest tick has ended.
    deadline = time.monotonic() + 60
    while True:
        result = _run(args)
        assert result.exit_code == 0, result.output
        sensor = {t["name"]: t for t in map(json.loads, result.stdout.splitlines())}[name]
        if sensor["last_tick_status"] == "SKIPPED" or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert (sensor["status"], sensor["last_tick_status"]) == ("RUNNING", "SKIPPED"), sensor
    assert sensor["last_run_ids"] == []


## Landing files


@given(
    parsers.parse(
        'the landing sensor "{name}" of "{product}" is started through Dagster and has looked once'
    ),
    target_fixture="trigger",
)
def landing_started(
    live_platform: LivePlatform, name: str, product: str, request: pytest.FixtureRequest
) -> dict[str, Any]:
    location = _location(live_platform, product)
    client = _client(live_platform)
    assert client.start_sensor(location, name) == "RUNNING"
    # Stopped again whatever happens: no later landing starts a run another scenario reads.
    request.addfinalizer(lambda: client.stop_sensor(location, name))

    def looked() -> bool:
        (sensor,) = [t for t in client.triggers(location) if t.name == name]
        return sensor.last_tick_status == "SKIPPED"

    wait_until(looked, 90, f"the first tick of {name}")
    return {"product": product, "sensor": name}


@when(parsers.parse('a file "{name}" lands in the staging bucket under "{folder}"'))
def file_lands(
    live_platform: LivePlatform, trigger: dict[str, Any], name: str, folder: str
) -> None:
    assert folder == f"{trigger['product']}/"
    with live_platform.s3().open_output_stream(f"staging/{folder}{name}") as out:
        out.write(b"order_id,amount\n1,9.99\n")


@then(parsers.parse('that run is tagged "{key}" = "{value}"'))
def run_tagged(live_platform: LivePlatform, trigger: dict[str, Any], key: str, value: str) -> None:
    assert _client(live_platform).runs_tagged(key, value) == [trigger["run_id"]]


## Schedules


@when(
    parsers.parse('the schedules of "{first}" and "{second}" are read from Dagster'),
    target_fixture="schedules",
)
def read_schedules(live_platform: LivePlatform, first: str, second: str) -> dict[str, Any]:
    client = _client(live_platform)
    found = {}
    for product in (first, second):
        for t in client.triggers(_location(live_platform, product)):
            if t.kind == "schedule":
                found[t.name] = (t, product)
    return found


@then(
    parsers.re(
        r'"(?P<name>\w+)" targets "(?P<job>\w+)" on "(?P<cron>[^"]+)" in "(?P<tz>[^"]+)"(, .*)?$'
    )
)
def schedule_targets(schedules: dict[str, Any], name: str, job: str, cron: str, tz: str) -> None:
    trigger, _ = schedules[name]
    assert (trigger.job, trigger.cron, trigger.timezone) == (job, cron, tz)
    # Registered stopped on the test platform; 'floe platform up' runs them by default.
    assert trigger.status == "STOPPED"


@then(
    parsers.parse(
        'a tick of "{name}" evaluated by Dagster at {hour:d}:{minute:d} UTC requests one run of '
        '"{job}"'
    )
)
def schedule_tick(
    live_platform: LivePlatform,
    schedules: dict[str, Any],
    name: str,
    hour: int,
    minute: int,
    job: str,
) -> None:
    _, product = schedules[name]
    at = datetime.now(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    requests = _client(live_platform).schedule_tick(
        _location(live_platform, product), name, at.timestamp()
    )
    assert len(requests) == 1, requests
    tags = {t["key"]: t["value"] for t in requests[0]["tags"]}
    assert tags["dagster/schedule_name"] == name
    assert job in name


## Maintenance


@given(
    parsers.parse(
        'the product "{name}" has run through Dagster from fresh tables, keeping {keep:d} '
        'snapshots and expiring "{model}" rows by "{column}"'
    ),
    target_fixture="evolving",
)
def fresh_retention_run(
    live_platform: LivePlatform, name: str, keep: int, model: str, column: str
) -> dict[str, Any]:
    def configure(spec: dict[str, Any]) -> None:
        spec["governance"] = {"keep_snapshots": keep}
        spec["models"] = [*spec.get("models", []), {"name": model, "retention_column": column}]

    evolving: dict[str, Any] = {}
    fresh_evolving_run(live_platform, evolving, name, configure=configure)
    evolving["keep"] = keep
    evolving["retention_table"] = f"{evolving['namespace']}.{model}"
    return evolving


@given("its pipeline ran a second time through Dagster")
def run_again(live_platform: LivePlatform, evolving: dict[str, Any]) -> None:
    result = run_product(live_platform, evolving["name"])
    assert result.status == "SUCCESS", result.errors[:3]


def _value(field: pa.Field, i: int, stamp: datetime) -> Any:
    if pa.types.is_timestamp(field.type):
        return stamp if field.type.tz else stamp.replace(tzinfo=None)
    if pa.types.is_integer(field.type):
        return 90_000_000 + i
    if pa.types.is_decimal(field.type):
        return Decimal("12.50")
    if pa.types.is_floating(field.type):
        return 12.5
    return "web"


@given(
    parsers.parse(
        '{old:d} rows of "{model}" stamped 2 hours ago and {new:d} stamped 10 minutes ago are '
        "appended through the catalog"
    )
)
def append_stamped(
    live_platform: LivePlatform, evolving: dict[str, Any], old: int, model: str, new: int
) -> None:
    table = catalog(live_platform).load_table(f"{evolving['namespace']}.{model}")
    schema = table.schema().as_arrow()
    now = datetime.now(UTC)
    stamps = [now - timedelta(hours=2)] * old + [now - timedelta(minutes=10)] * new
    rows = [{f.name: _value(f, i, s) for f in schema} for i, s in enumerate(stamps)]
    table.append(pa.Table.from_pylist(rows, schema=schema))
    evolving["fresh_ids"] = sorted(r["transaction_id"] for r in rows[old:])
    evolving["rows_before"] = table.scan().to_arrow().num_rows
    cat = catalog(live_platform)
    names = [t.table for t in runs.load_artifact(live_platform.build, evolving["name"]).transforms]
    tables = {name: cat.load_table(name) for name in names}
    evolving["snapshots_before"] = {
        name: [s.snapshot_id for s in t.snapshots()] for name, t in tables.items()
    }
    evolving["files_before"] = {name: set(_current_files(t)) for name, t in tables.items()}
    evolving["count_before"] = {name: t.scan().count() for name, t in tables.items()}


def _current_files(table: Any) -> dict[str, Any]:
    """Data and delete files of the table's current snapshot, by path."""
    snap = table.current_snapshot()
    return {
        e.data_file.file_path: e.data_file
        for m in snap.manifests(table.io)
        for e in m.fetch_manifest_entry(table.io, discard_deleted=True)
    }


@when(
    "its maintenance job runs through Dagster with no grace period for files",
    target_fixture="maintenance",
)
def run_maintenance(live_platform: LivePlatform, evolving: dict[str, Any]) -> RunResult:
    compiled = runs.load_artifact(live_platform.build, evolving["name"])
    config = {"ops": {"maintain_tables": {"config": {"file_grace_seconds": 0}}}}
    run_id = runs.launch(
        live_platform.settings,
        compiled,
        lambda _: None,
        job=f"{compiled.orchestration.job_name}_maintenance",
        run_config=config,
    )
    return runs.wait(live_platform.settings, run_id, timeout=600, progress=lambda _: None)


@then(parsers.parse('the maintenance run ends with status "{status}"'))
def maintenance_status(maintenance: RunResult, status: str) -> None:
    assert maintenance.status == status, maintenance.errors[:3]


@then(parsers.parse('"{model}" holds only the {n:d} rows stamped 10 minutes ago'))
def only_fresh(live_platform: LivePlatform, evolving: dict[str, Any], model: str, n: int) -> None:
    table = catalog(live_platform).load_table(f"{evolving['namespace']}.{model}")
    ids = sorted(table.scan().to_arrow().column("transaction_id").to_pylist())
    assert ids == evolving["fresh_ids"] and len(ids) == n


@then(
    parsers.parse(
        'the maintenance run recorded for "{model}" the rows it deleted, as many as the table lost'
    )
)
def recorded_rows(maintenance: RunResult, evolving: dict[str, Any], model: str) -> None:
    meta = maintenance.observations[f"{evolving['namespace']}/{model}"]
    assert meta["rows_deleted"] == evolving["rows_before"] - len(evolving["fresh_ids"]) > 0


@then(
    parsers.parse(
        "every table of the product holds at most {keep:d} snapshots, and the run recorded the "
        "ids of those it expired"
    )
)
def snapshots_kept(
    live_platform: LivePlatform, maintenance: RunResult, evolving: dict[str, Any], keep: int
) -> None:
    cat = catalog(live_platform)
    expired_somewhere = 0
    for table_name, before in evolving["snapshots_before"].items():
        now = [s.snapshot_id for s in cat.load_table(table_name).snapshots()]
        assert 1 <= len(now) <= keep, (table_name, len(now))
        meta = maintenance.observations[table_name.replace(".", "/")]
        recorded = [int(i) for i in str(meta["expired_snapshot_ids"]).split(",") if i]
        # Snapshots maintenance itself committed (retention, compaction) may be expired as well.
        assert set(before) - set(now) <= set(recorded), table_name
        assert not set(recorded) & set(now), table_name
        assert meta["snapshots_expired"] == len(recorded)
        expired_somewhere += len(recorded)
    assert expired_somewhere > 0


def _objects(s3: fs.S3FileSystem, table: Any) -> list[str]:
    """Every object under the table's location, as bucket/key paths."""
    location = table.location().split("://", 1)[-1]
    return [
        i.path
        for i in s3.get_file_info(fs.FileSelector(location, recursive=True))
        if i.type == fs.FileType.File
    ]


@then(
    "no data or manifest file in the bucket under the product's tables is unreferenced by a "
    "kept snapshot, and the run recorded the bytes it freed"
)
def bucket_clean(
    live_platform: LivePlatform, maintenance: RunResult, evolving: dict[str, Any]
) -> None:
    s3 = live_platform.s3()
    cat = catalog(live_platform)
    freed = 0
    for table_name in evolving["snapshots_before"]:
        table = cat.load_table(table_name)
        keep = {f.split("://", 1)[-1] for f in referenced_files(table)}
        objects = [p for p in _objects(s3, table) if "/data/" in p or p.endswith(".avro")]
        assert objects and set(objects) <= keep, sorted(set(objects) - keep)[:3]
        freed += int(maintenance.observations[table_name.replace(".", "/")]["bytes_freed"])
    assert freed > 0


@then(
    "every table's current snapshot holds only data files with a live row and delete files of "
    "those files, reads the rows it read before, and the run recorded the files it compacted"
)
def compacted(
    live_platform: LivePlatform, maintenance: RunResult, evolving: dict[str, Any]
) -> None:
    s3 = live_platform.s3()
    cat = catalog(live_platform)
    for table_name, before in evolving["files_before"].items():
        table = cat.load_table(table_name)
        now = _current_files(table)
        data = {p: f for p, f in now.items() if f.content.value == 0}
        deleted: dict[str, set[int]] = {}
        for path, f in now.items():
            if f.content.value == 0:
                continue
            rows = pq.read_table(path.split("://", 1)[-1], filesystem=s3).to_pylist()
            for row in rows:
                deleted.setdefault(row["file_path"], set()).add(row["pos"])
        assert set(deleted) <= set(data), (table_name, sorted(set(deleted) - set(data))[:2])
        assert all(len(deleted.get(p, ())) < f.record_count for p, f in data.items()), table_name
        recorded = int(maintenance.observations[table_name.replace(".", "/")]["files_compacted"])
        if table_name != evolving["retention_table"]:
            assert table.scan().count() == evolving["count_before"][table_name], table_name
            assert set(now) <= before and len(before - set(now)) == recorded > 0, (
                table_name,
                len(before),
                len(now),
                recorded,
            )


@then(
    parsers.parse(
        "each table's metadata folder holds its current metadata file and at most {n:d} older ones"
    )
)
def metadata_bounded(live_platform: LivePlatform, evolving: dict[str, Any], n: int) -> None:
    s3 = live_platform.s3()
    cat = catalog(live_platform)
    for table_name in evolving["snapshots_before"]:
        table = cat.load_table(table_name)
        found = {p for p in _objects(s3, table) if p.endswith(".metadata.json")}
        assert table.metadata_location.split("://", 1)[-1] in found, table_name
        assert 1 < len(found) <= n + 1, (table_name, len(found))


## Serving a product while another runs


@when(
    parsers.parse('the pipeline of "{product}" is launched and has started'),
    target_fixture="inflight",
)
def launch_started(live_platform: LivePlatform, product: str) -> dict[str, Any]:
    compiled = runs.load_artifact(live_platform.build, product)
    run_id = runs.launch(live_platform.settings, compiled, lambda _: None)
    client = _client(live_platform)
    wait_until(lambda: client.run(run_id).status == "STARTED", 120, f"run {run_id} to start")
    daemon = _service(live_platform, "dagster-daemon")
    return {"product": product, "run_id": run_id, "daemon_pid": daemon.pid}


def _service(live: LivePlatform, name: str) -> Any:
    (found,) = [s for s in live.platform.status() if s.name == name]
    return found


@when(
    parsers.parse(
        'meanwhile a copy of "{source}" named "{name}", new to the platform, is compiled into '
        "the served folder and run"
    )
)
def serve_new_product(
    live_platform: LivePlatform, inflight: dict[str, Any], source: str, name: str
) -> None:
    assert source == "customer-360"  # demo_copy copies customer-360
    ws = yaml.safe_load((live_platform.build / "workspace.yaml").read_text())
    assert name not in [e["python_file"]["location_name"] for e in ws["load_from"]]
    project = demo_copy(live_platform.settings.home / "products", name)
    compile_pipeline(project, manifest=DEMO / "manifest.yaml", output_dir=live_platform.build)
    inflight["status_at_serve"] = _client(live_platform).run(inflight["run_id"]).status
    compiled = runs.load_artifact(live_platform.build, name)
    inflight["new_run_id"] = runs.launch(live_platform.settings, compiled, lambda _: None)
    inflight["served_at"] = time.time()
    inflight["new"] = name


@then(
    parsers.parse(
        "the new product got a code server of its own and the daemon was restarted while "
        '"{product}" was running'
    )
)
def new_server_daemon_restarted(
    live_platform: LivePlatform, inflight: dict[str, Any], product: str
) -> None:
    assert inflight["product"] == product
    assert inflight["status_at_serve"] == "STARTED"
    server = _service(live_platform, f"code-server-{inflight['new']}")
    assert server.healthy and server.address.startswith("gRPC 127.0.0.1:")
    daemon = _service(live_platform, "dagster-daemon")
    assert daemon.healthy and daemon.pid != inflight["daemon_pid"]
    inflight["daemon_restarted_by"] = psutil.Process(daemon.pid).create_time()


@then(
    parsers.parse('the run of "{first}" and the run of "{second}" both end with status "{status}"')
)
def both_end(
    live_platform: LivePlatform, inflight: dict[str, Any], first: str, second: str, status: str
) -> None:
    assert (inflight["product"], inflight["new"]) == (first, second)
    for key in ("run_id", "new_run_id"):
        result = runs.wait(live_platform.settings, inflight[key], 900, lambda _: None)
        assert result.status == status, result.errors[:3]
        inflight[f"{key}_result"] = result


@then(parsers.parse('the run of "{product}" ended after the daemon\'s restart'))
def ended_after_restart(inflight: dict[str, Any], product: str) -> None:
    result = inflight["run_id_result"]
    assert inflight["product"] == product
    assert result.ended_at is not None and result.ended_at > inflight["daemon_restarted_by"]


## A service whose pid file was lost


@given("a service started by floe from a temporary platform folder", target_fixture="service")
def lone_service(tmp_path: Path) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(
        name="sleeper",
        command=[sys.executable, "-c", "import time; time.sleep(600)"],
        run_dir=tmp_path / "run",
        log_dir=tmp_path / "logs",
    )
    svc.start()
    yield svc
    svc.stop()


def _copies(svc: ServiceProcess) -> list[int]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            mark = proc.environ().get(SERVICE_MARK) if proc.info["cmdline"] == svc.command else None
        except psutil.Error:
            continue
        if mark == str(svc.pid_file):
            found.append(proc.pid)
    return found


@when("its pid file is lost, as when the CLI that started it dies before writing it")
def lose_pid_file(service: ServiceProcess) -> None:
    (pid,) = _copies(service)
    assert service.pid() == pid
    service.pid_file.unlink()
    assert service.pid() is None


@when("floe starts the service again", target_fixture="restarted_pid")
def start_again(service: ServiceProcess) -> int:
    return service.start()


@then("the same process is tracked again and no second copy runs")
def same_process(service: ServiceProcess, restarted_pid: int) -> None:
    assert _copies(service) == [restarted_pid]
    assert service.pid() == restarted_pid


@then("floe stops it by that pid")
def stops_it(service: ServiceProcess, restarted_pid: int) -> None:
    assert service.stop() is True
    assert not psutil.pid_exists(restarted_pid) or (
        psutil.Process(restarted_pid).status() == psutil.STATUS_ZOMBIE
    )
    assert _copies(service) == []


## Storage full: a SeaweedFS bucket quota, enforced (DESIGN: SeaweedFS operations)

PADDING = "_floe-quota-padding"  # fills the bucket past its quota; removed with the quota


def weed_shell(live: LivePlatform, *commands: str) -> str:
    s = live.settings
    master = f"127.0.0.1:{s.port('weed_master')}.{s.grpc_port('weed_master')}"
    filer = f"127.0.0.1:{s.port('weed_filer')}.{s.grpc_port('weed_filer')}"
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "weed"),
            "shell",
            f"-master={master}",
            f"-filer={filer}",
        ],
        input="\n".join([*commands, "exit"]) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _data_folder(live: LivePlatform, table: str) -> str:
    """Where the table keeps its data files: a table bucket takes writes only under a table."""
    location = catalog(live, "customer-360-failing").load_table(table).location()
    return f"{location.split('://', 1)[1].rstrip('/')}/data"


def _probe(live: LivePlatform, folder: str) -> str | None:
    """Write and delete one object; None when the bucket took it, else the refusal."""
    s3 = live.s3()
    path = f"{folder}/_floe-quota-probe-{time.monotonic_ns()}"
    try:
        with s3.open_output_stream(path) as out:
            out.write(b"probe")
        s3.delete_file(path)
    except OSError as exc:
        return str(exc)
    return None


def _lift_quota(live: LivePlatform, bucket: str, folder: str) -> None:
    weed_shell(
        live, "lock", f"s3.bucket.quota -name={bucket} -op=remove", "s3.bucket.quota.enforce -apply"
    )
    s3 = live.s3()
    padding = f"{folder}/{PADDING}"
    if s3.get_file_info(padding).type != fs.FileType.NotFound:  # the finalizer may come second
        s3.delete_file(padding)  # deletes work even over quota
    wait_until(lambda: _probe(live, folder) is None, 60, f"the bucket '{bucket}' taking writes")


@given(parsers.parse('the snapshot and row count of "{table}" are noted'), target_fixture="noted")
def note_snapshot(live_platform: LivePlatform, table: str) -> dict[str, Any]:
    loaded = catalog(live_platform, "customer-360-failing").load_table(table)
    snapshot = loaded.current_snapshot()
    rows = loaded.scan().to_arrow().num_rows
    assert rows == len(seed_rows("customer-360", "raw_customers")), rows
    return {"table": table, "snapshot": snapshot.snapshot_id, "rows": rows}


@given(
    parsers.parse(
        'the "{bucket}" bucket is filled past a quota of {size:d} MB, enforced by SeaweedFS, so '
        "that a write into it is refused"
    )
)
def over_quota(
    live_platform: LivePlatform,
    noted: dict[str, Any],
    bucket: str,
    size: int,
    request: pytest.FixtureRequest,
) -> None:
    folder = _data_folder(live_platform, noted["table"])
    with live_platform.s3().open_output_stream(f"{folder}/{PADDING}") as out:
        out.write(b"\0" * (size + 1) * 1024 * 1024)
    request.addfinalizer(lambda: _lift_quota(live_platform, bucket, folder))
    out = weed_shell(
        live_platform,
        "lock",
        f"s3.bucket.quota -name={bucket} -sizeMB={size}",
        "s3.bucket.quota.enforce -apply",
        "s3.bucket.list",
    )
    assert f"{bucket}\tsize:" in out and f"quota:{size * 1024 * 1024}" in out, out
    # Sizes reach the check a few seconds after a write: enforce until a write is refused.
    deadline = time.monotonic() + 60
    while _probe(live_platform, folder) is None:
        assert time.monotonic() < deadline, f"SeaweedFS never refused a write into {bucket}"
        time.sleep(2)
        weed_shell(live_platform, "lock", "s3.bucket.quota.enforce -apply")


def _floe_run(live: LivePlatform, product: str) -> CommandResult:
    return _run(
        [
            "run",
            product,
            "--output-dir",
            str(live.build),
            "--home",
            str(live.settings.home),
        ]
    )


@when(parsers.parse('floe run launches "{product}" on the platform'), target_fixture="command")
def floe_run(live_platform: LivePlatform, product: str) -> CommandResult:
    return _floe_run(live_platform, product)


@when(
    parsers.parse(
        'the quota of the "{bucket}" bucket is removed and floe run launches "{product}" again'
    ),
    target_fixture="command",
)
def lift_and_run(
    live_platform: LivePlatform, noted: dict[str, Any], bucket: str, product: str
) -> CommandResult:
    _lift_quota(live_platform, bucket, _data_folder(live_platform, noted["table"]))
    return _floe_run(live_platform, product)


@then(parsers.parse('"{table}" is still at the noted snapshot with the noted rows'))
def same_snapshot(live_platform: LivePlatform, noted: dict[str, Any], table: str) -> None:
    loaded = catalog(live_platform, "customer-360-failing").load_table(table)
    assert loaded.current_snapshot().snapshot_id == noted["snapshot"]
    assert loaded.scan().to_arrow().num_rows == noted["rows"]


@then(
    parsers.parse('"{table}" has a new snapshot descending from the noted one, with the noted rows')
)
def new_snapshot(live_platform: LivePlatform, noted: dict[str, Any], table: str) -> None:
    loaded = catalog(live_platform, "customer-360-failing").load_table(table)
    snapshot = loaded.current_snapshot()
    lineage = []
    while snapshot is not None:
        lineage.append(snapshot.snapshot_id)
        parent = snapshot.parent_snapshot_id
        snapshot = loaded.snapshot_by_id(parent) if parent is not None else None
    assert lineage[0] != noted["snapshot"] and noted["snapshot"] in lineage[1:], lineage
    assert loaded.scan().to_arrow().num_rows == noted["rows"]
