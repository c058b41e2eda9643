"""The running platform the live scenarios act on, and the US1 bootstrap steps.

One local platform per test session (ENCODE's session-scoped app): a fresh home folder, ports
shifted so it never meets a developer's own platform, the three demo products compiled into its
workspace, every service started by the real ``floe platform up`` code and stopped by pid at the
end. Scenarios isolate their data by product namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster
import psutil
import psycopg2
import pytest
import requests
import yaml
from alembic.script import ScriptDirectory
from pyarrow import fs
from pytest_bdd import given, parsers, then, when

from floe.compiler import compile_pipeline
from floe.platform.local import LocalPlatform
from floe.platform.secrets import PG_PASSWORD, S3_ACCESS_KEY, S3_SECRET_KEY
from floe.platform.settings import load
from steps.common import DEMO, PLAIN_DBT, PRODUCTS

PORT_OFFSET = int(os.environ.get("FLOE_TEST_PORT_OFFSET", "300"))

# The local target's services besides the code servers, as `floe platform status` names them.
PLATFORM_SERVICES = (
    "dagster-daemon",
    "dagster-webserver",
    "dbt-server",
    "lineage-receiver",
    "phoenix",
    "policy-gate",
    "postgres",
    "prometheus",
    "pushgateway",
    "registry",
    "rotel",
    "seaweedfs",
)


@dataclass
class LivePlatform:
    platform: LocalPlatform
    build: Path
    up_seconds: dict[str, float]

    @property
    def settings(self) -> Any:
        return self.platform.settings

    def url(self, name: str) -> str:
        return str(self.settings.url(name))

    def secret(self, name: str) -> str:
        return self.platform.secrets[name].get_secret_value()

    def s3(self) -> fs.S3FileSystem:
        return fs.S3FileSystem(
            access_key=self.secret(S3_ACCESS_KEY),
            secret_key=self.secret(S3_SECRET_KEY),
            endpoint_override=self.url("s3"),
            region="us-east-1",
            scheme="http",
        )

    def pg(self, db: str) -> Any:
        return psycopg2.connect(
            host="127.0.0.1",
            port=self.settings.port("postgres"),
            user="floe",
            password=self.secret(PG_PASSWORD),
            dbname=db,
        )


FAILING_COPY = "customer-360-failing"  # scenarios that break a model on purpose
SPARK_COPY = "customer-360-spark"  # floe.yaml differs only in `compute: spark` (US5-S3)
EVOLVING_COPY = "customer-360-evolving"  # scenarios that evolve its tables' schemas (US9)


def demo_copy(root: Path, name: str, compute: str | None = None) -> Path:
    """customer-360 under another name, so in a namespace of its own. Copies are in the
    workspace from the start: Dagster's daemon only sees code locations present when it loaded
    the workspace."""
    target = root / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(DEMO / "customer-360", target, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copy(DEMO / "manifest.yaml", root / "manifest.yaml")
    spec = yaml.safe_load((target / "floe.yaml").read_text())
    spec["metadata"]["name"] = name
    if compute:
        spec["compute"] = compute
    (target / "floe.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return target


@pytest.fixture(scope="session")
def live_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePlatform]:
    home = tmp_path_factory.mktemp("floe-home")
    build = home / "build"
    for product in PRODUCTS:
        compile_pipeline(DEMO / product, output_dir=build)
    compile_pipeline(demo_copy(home / "products", FAILING_COPY), output_dir=build)
    compile_pipeline(demo_copy(home / "products", EVOLVING_COPY), output_dir=build)
    # A plain dbt project (no floe macros, dbt's default views), as a new user brings one.
    compile_pipeline(PLAIN_DBT, manifest=DEMO / "manifest.yaml", output_dir=build)
    compile_pipeline(demo_copy(home / "products", SPARK_COPY, "spark"), output_dir=build)
    # The platform team's manifest is registered: only artifacts compiled against it run.
    # Schedules and sensors are registered stopped: scenarios start the one they prove, and no
    # tick fires a run another scenario does not expect.
    settings = load(home, PORT_OFFSET, build / "workspace.yaml", DEMO / "manifest.yaml", False)
    platform = LocalPlatform(settings)
    with pytest.MonkeyPatch.context() as mp:
        try:
            timings = platform.up()
            for key, value in platform.env().items():
                mp.setenv(key, value)
            yield LivePlatform(platform, build, timings)
        finally:
            platform.down(purge=True)


## Given


@given("a running platform", target_fixture="live")
def running_platform(live_platform: LivePlatform) -> LivePlatform:
    """Started once per session by the real 'floe platform up' code."""
    return live_platform


## When


@when("each service is queried on its health endpoint", target_fixture="health")
def query_health(live: LivePlatform) -> dict[str, Any]:
    server_info = requests.get(f"{live.url('dagster')}/server_info", timeout=10)
    catalog = requests.get(f"{live.url('iceberg')}/v1/config", timeout=10)
    s3 = requests.get(live.url("s3"), timeout=10)
    conn = live.pg("postgres")
    with conn.cursor() as cur:
        cur.execute("select current_user, version()")
        user, version = cur.fetchone()
    conn.close()
    return {
        "dagster": server_info,
        "catalog": catalog,
        "s3": s3,
        "pg_user": user,
        "pg_version": version,
        "status": {s.name: s for s in live.platform.status()},
        "phoenix": requests.get(f"{live.url('phoenix')}/healthz", timeout=10),
        "prometheus": requests.get(f"{live.url('prometheus')}/-/ready", timeout=10),
        "pushgateway": requests.get(f"{live.url('pushgateway')}/-/ready", timeout=10),
        "lineage": requests.get(f"{live.url('lineage')}/healthcheck", timeout=10),
    }


## Then


@then("the Dagster webserver answers HTTP 200 with its version")
def dagster_health(health: dict[str, Any]) -> None:
    resp = health["dagster"]
    assert resp.status_code == 200
    # The version installed from the lock file, not a copy of it.
    assert resp.json()["dagster_webserver_version"] == metadata.version("dagster-webserver")


@then("the Iceberg REST catalog answers HTTP 200 with its configuration")
def catalog_health(health: dict[str, Any]) -> None:
    resp = health["catalog"]
    assert resp.status_code == 200
    assert sorted(resp.json()) == ["defaults", "overrides"]


@then("S3 refuses an anonymous request with HTTP 403")
def s3_health(health: dict[str, Any]) -> None:
    assert health["s3"].status_code == 403
    assert "AccessDenied" in health["s3"].text


@then(parsers.parse('PostgreSQL accepts the platform user "{user}" with version {major:d}'))
def pg_health(health: dict[str, Any], user: str, major: int) -> None:
    assert health["pg_user"] == user
    assert health["pg_version"].startswith(f"PostgreSQL {major}.")


@then(parsers.parse("floe platform status lists {n:d} healthy services, each with a pid"))
def status_lists(health: dict[str, Any], n: int) -> None:
    status = health["status"]
    platform_services = sorted(name for name in status if not name.startswith("code-server-"))
    assert platform_services == list(PLATFORM_SERVICES)
    assert len(platform_services) == n
    assert all(s.healthy for s in status.values()), status
    assert all(isinstance(s.pid, int) and s.pid > 1 for s in status.values())


@then("one healthy code server per served product, read by port by the webserver and the daemon")
def code_servers_shared(live: LivePlatform, health: dict[str, Any]) -> None:
    compiled = yaml.safe_load((live.build / "workspace.yaml").read_text())
    products = [e["python_file"]["location_name"] for e in compiled["load_from"]]
    # Promotion scenarios that ran before this one left staging and prod deployments served.
    deployed = live.settings.home / "deployments" / "deployments.json"
    products = sorted(
        products + (list(json.loads(deployed.read_text())) if deployed.is_file() else [])
    )
    servers = {n.removeprefix("code-server-"): s for n, s in health["status"].items()}
    assert sorted(n for n in servers if n in products) == products
    assert len(health["status"]) == len(PLATFORM_SERVICES) + len(products)
    # The workspace Dagster's processes were started with names each server's port.
    dagster_ws = live.settings.home / "dagster" / "workspace.yaml"
    entries = {
        e["grpc_server"]["location_name"]: e["grpc_server"]["port"]
        for e in yaml.safe_load(dagster_ws.read_text())["load_from"]
    }
    assert sorted(entries) == products
    for product, port in entries.items():
        assert servers[product].address == f"gRPC 127.0.0.1:{port}"
        cmd = psutil.Process(servers[product].pid).cmdline()
        assert cmd[cmd.index("-p") + 1] == str(port)
        assert cmd[cmd.index("--location-name") + 1] == product
    # Neither the webserver nor the daemon starts code servers of its own.
    for name in ("dagster-webserver", "dagster-daemon"):
        children = psutil.Process(health["status"][name].pid).children(recursive=True)
        grpc = [c.cmdline() for c in children if {"api", "grpc"} <= set(c.cmdline())]
        assert grpc == [], name


@then(
    "the trace store, Prometheus, the pushgateway and the lineage receiver answer their health "
    "endpoints"
)
def observability_health(health: dict[str, Any]) -> None:
    assert health["phoenix"].status_code == 200
    assert health["phoenix"].text == "OK"
    assert health["prometheus"].status_code == 200
    assert "Ready" in health["prometheus"].text
    assert health["pushgateway"].status_code == 200
    assert health["lineage"].status_code == 200
    assert health["lineage"].json() == {"healthy": True}


@when("PostgreSQL is queried for its databases and the Dagster schema", target_fixture="databases")
def query_databases(live: LivePlatform) -> dict[str, Any]:
    conn = live.pg("postgres")
    with conn.cursor() as cur:
        cur.execute("select datname from pg_database where not datistemplate order by 1")
        names = [r[0] for r in cur.fetchall()]
    conn.close()
    conn = live.pg("dagster")
    with conn.cursor() as cur:
        cur.execute(
            "select table_name from information_schema.tables where table_schema = 'public'"
        )
        tables = {r[0] for r in cur.fetchall()}
        cur.execute("select version_num from alembic_version")
        (alembic,) = cur.fetchone()
    conn.close()
    return {"names": names, "dagster_tables": tables, "alembic": alembic}


@then(parsers.parse('the databases "{names}" exist'))
def databases_exist(databases: dict[str, Any], names: str) -> None:
    assert [n.strip() for n in names.split(",")] == [
        n for n in databases["names"] if n != "postgres"
    ]


@then(
    parsers.parse('the dagster database holds the tables "{tables}" at a migrated schema version')
)
def dagster_schema(databases: dict[str, Any], tables: str) -> None:
    wanted = {t.strip() for t in tables.split(",")}
    assert wanted <= databases["dagster_tables"], wanted - databases["dagster_tables"]
    # The newest migration Dagster ships: the schema is migrated all the way, not just begun.
    migrations = Path(dagster.__file__).parent / "_core" / "storage" / "alembic"
    assert databases["alembic"] == ScriptDirectory(str(migrations)).get_current_head()


@when("S3 is queried for its buckets", target_fixture="buckets")
def query_buckets(live: LivePlatform) -> list[str]:
    infos = live.s3().get_file_info(fs.FileSelector("/", recursive=False))
    return sorted(i.path for i in infos)


@then(parsers.parse('the buckets "{names}" exist'))
def buckets_exist(buckets: list[str], names: str) -> None:
    assert buckets == [n.strip() for n in names.split(",")]


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@then(
    parsers.parse(
        "floe platform status reports a healthy check of each plugin the served products use: "
        '"{plugins}"'
    )
)
def plugin_health_reported(live: LivePlatform, plugins: str) -> None:
    from floe.cli.main import invoke

    result = invoke(["platform", "status", "--home", str(live.settings.home)])
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in result.stdout.splitlines()
        if line.startswith("│") and line.count("│") == 6 and line.split("│")[1].strip()
    ]
    wanted = [p.strip().split(" ") for p in plugins.split(",")]
    assert [r[:2] for r in rows] == wanted
    assert {r[2] for r in rows} == {"healthy"}
    details = {(r[0], r[1]): r[3] for r in rows}
    assert details[("catalog", "iceberg-rest")] == "GET /v1/config -> 200"
    assert details[("lineage", "openlineage")] == "GET /api/v1/namespaces -> 200"
