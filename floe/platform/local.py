"""The local target: start, check and stop every service as a process on 127.0.0.1."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import SecretStr

from floe.errors import PlatformError, ServiceStartError
from floe.observability.logging import get_logger
from floe.platform import code_servers, services
from floe.platform import observability_services as obs
from floe.platform import promotion_services as promo
from floe.platform import secrets as sec
from floe.platform.process import ServiceProcess, tail
from floe.platform.settings import PlatformSettings

Progress = Callable[[str], None]
START_TIMEOUT = {
    "postgres": 60,
    "seaweedfs": 90,
    "phoenix": 120,
    "rotel": 30,
    "pushgateway": 30,
    "prometheus": 60,
    "dagster-webserver": 120,
    "dagster-daemon": 120,
    "lineage-receiver": 60,
    "registry": 30,
    "policy-gate": 30,
    "dbt-server": 60,
}
DAGSTER = ("dagster-webserver", "dagster-daemon")
# Storage gates everything else; Dagster and the lineage receiver need PostgreSQL's databases.
FIRST_WAVE = (
    "postgres",
    "seaweedfs",
    "phoenix",
    "rotel",
    "pushgateway",
    "prometheus",
    "registry",
    "policy-gate",
)
GATES = ("postgres", "seaweedfs")
# Needed from the first run on, not before: started last, its dbt import would otherwise compete
# with the code servers' and the webserver's loading for two cores (a run finding it not yet up
# runs plain dbt).
LAST = ("dbt-server",)


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    address: str
    pid: int | None
    healthy: bool


LOCK_FILE = ".platform.lock"


class LocalPlatform:
    """PostgreSQL, SeaweedFS (S3 + Iceberg REST catalog), Dagster webserver and daemon, the
    observability services (rotel, Phoenix, Prometheus + pushgateway, the lineage receiver) and
    the promotion services (the OCI registry and the policy gate)."""

    target = "local"

    def __init__(self, settings: PlatformSettings) -> None:
        self.settings = settings
        self._secrets: dict[str, SecretStr] | None = None
        self._log = get_logger("floe.platform")

    @property
    def secrets(self) -> dict[str, SecretStr]:
        if self._secrets is None:
            self._secrets = sec.ensure(self.settings.home)
        return self._secrets

    def _services(self) -> list[ServiceProcess]:
        s, secrets = self.settings, self.secrets
        return [
            services.postgres(s, secrets),
            services.seaweedfs(s, secrets),
            obs.phoenix(s),
            obs.rotel(s),
            obs.pushgateway(s),
            obs.prometheus(s),
            promo.registry(s, secrets),
            promo.policy_gate(s),
            services.dbt_server(s),
            *code_servers.servers(s, services.dagster_env(s, secrets)),
            *services.dagster_processes(s, secrets),
            obs.lineage_receiver(s, secrets),
        ]

    def addresses(self) -> dict[str, str]:
        s = self.settings
        return {
            "postgres": f"postgresql://{services.PG_USER}@127.0.0.1:{s.port('postgres')}",
            "seaweedfs": f"S3 {s.url('s3')} | Iceberg REST {s.url('iceberg')}",
            "dagster-webserver": s.url("dagster"),
            "dagster-daemon": "(no port)",
            "phoenix": f"traces UI + API {s.url('phoenix')}",
            "rotel": f"OTLP gRPC 127.0.0.1:{s.port('otlp_grpc')} | HTTP {s.url('otlp_http')}",
            "pushgateway": s.url("pushgateway"),
            "prometheus": f"{s.url('prometheus')}/consoles/floe-pipelines.html",
            "lineage-receiver": f"{s.url('lineage')}/api/v1/namespaces",
            "registry": f"OCI {s.url('registry')}/v2/",
            "policy-gate": f"OPA data API {s.url('policy_gate')}/v1/data",
            "dbt-server": f"unix socket {services.dbt_socket(s)}",
        }

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One 'up' or 'down' at a time per home: two at once would start every service twice
        (and 'down' would then stop one set)."""
        home = self.settings.ensure_home()
        fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise PlatformError(
                f"another 'floe platform up' or 'down' is working on {home} right now",
                hint="wait for it to finish, then check 'floe platform status'",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def up(self, progress: Progress = lambda _: None) -> dict[str, float]:
        """Start what is not running, in dependency order; returns seconds to healthy each."""
        with self._exclusive():
            return self._up(progress)

    def _up(self, progress: Progress) -> dict[str, float]:
        s = self.settings
        s.save()
        timings: dict[str, float] = {}
        started = time.monotonic()
        obs.check_installed()
        services.require_programs(promo.SYSTEM_PACKAGES)
        services.install_duckdb_extensions(s)
        services.write_dagster_yaml(s)
        # Storage and the observability stores start together; once PostgreSQL and the catalog
        # answer, the code servers and the lineage receiver start while the slower ones finish;
        # the webserver and daemon start once every code server listens, because they read
        # each location once, at start.
        svcs = {svc.name: svc for svc in self._services()}
        served = {code_servers.PREFIX + n for n in code_servers.compiled_locations(s.workspace)}
        for name in [n for n in svcs if code_servers.is_code_server(n) and n not in served]:
            if svcs.pop(name).stop():  # a product no longer in the served workspace
                progress(f"stopped {name}")
        first = [svcs[n] for n in FIRST_WAVE]
        dagster = [svcs[n] for n in DAGSTER]
        last = [svcs[n] for n in LAST]
        second = [svc for name, svc in svcs.items() if name not in (*FIRST_WAVE, *DAGSTER, *LAST)]
        for svc in first:
            progress(f"starting {svc.name}")
            svc.start()
        for name in GATES:
            timings[name] = self._wait(svcs[name], progress)
        services.create_databases(s, self.secrets[sec.PG_PASSWORD].get_secret_value())
        fresh = [svc.name for svc in second if svc.pid() is None]
        for svc in second:
            progress(f"starting {svc.name}")
            svc.start()
        for svc in second:
            if code_servers.is_code_server(svc.name):
                timings[svc.name] = self._wait(svc, progress)
        code_servers.record_started(s, fresh)
        changed = code_servers.write_workspace(s)
        running = [svc.name for svc in dagster if svc.pid() is not None]
        for svc in dagster:
            progress(f"starting {svc.name}")
            svc.start()
        if changed and running:
            # 'up' with another workspace on a running platform: serve that one now.
            self._reload_workspace(progress)
        for svc in last:
            progress(f"starting {svc.name}")
            svc.start()
        for svc in [*first, *second, *dagster, *last]:
            if svc.name not in timings:
                timings[svc.name] = self._wait(svc, progress)
        timings["total"] = round(time.monotonic() - started, 2)
        return timings

    def _wait(self, svc: ServiceProcess, progress: Progress) -> float:
        try:
            seconds = round(svc.wait_healthy(_timeout(svc.name)), 2)
        except ServiceStartError as exc:
            raise ServiceStartError(
                f"{exc.message}. Last log lines:\n{tail(svc.log_file)}", hint=exc.hint
            ) from None
        progress(f"{svc.name} healthy")
        self._log.info("platform.service.healthy", service=svc.name, seconds=seconds)
        return seconds

    def status(self) -> list[ServiceStatus]:
        addresses = self.addresses()
        ports = {
            f"{code_servers.PREFIX}{name}": f"gRPC 127.0.0.1:{entry['port']}"
            for name, entry in code_servers.registry(self.settings).items()
        }
        return [
            ServiceStatus(
                svc.name, addresses.get(svc.name) or ports[svc.name], svc.pid(), svc.healthy()
            )
            for svc in self._services_no_init()
        ]

    def _services_no_init(self) -> list[ServiceProcess]:
        """Service handles for status/stop without initialising anything on disk."""
        s = self.settings
        if not (s.home / "postgres" / "data" / "PG_VERSION").is_file():
            names = [*START_TIMEOUT, *map(code_servers.PREFIX.__add__, code_servers.registry(s))]
            return [ServiceProcess(n, [], s.run_dir, s.log_dir) for n in names]
        return self._services()

    def down(self, purge: bool = False, progress: Progress = lambda _: None) -> list[str]:
        """Stop by pid, newest first; ``purge`` also deletes data, logs and credentials."""
        if not self.settings.home.is_dir():
            return []
        if not (self.settings.home / "platform.json").is_file():
            return self._down(purge, progress)  # not a platform home: leave no lock file in it
        with self._exclusive():
            return self._down(purge, progress)

    def _down(self, purge: bool, progress: Progress) -> list[str]:
        stopped = []
        for svc in reversed(self._services_no_init()):
            if svc.stop():
                stopped.append(svc.name)
                progress(f"stopped {svc.name}")
        if purge:
            home = self.settings.home
            if not (home / "platform.json").is_file() and any(home.iterdir()):
                raise PlatformError(
                    f"{home} does not look like a floe platform home (no platform.json)",
                    hint="check FLOE_HOME / --home before purging",
                )
            staged = home / "postgres"
            if staged.is_symlink():  # PostgreSQL's data staged outside the home (run as root)
                shutil.rmtree(staged.resolve(), ignore_errors=True)
            shutil.rmtree(self.settings.socket_dir, ignore_errors=True)
            shutil.rmtree(home)
            progress(f"removed {home}")
        return stopped

    def _reload_workspace(self, progress: Progress) -> None:
        from floe.platform.dagster_client import DagsterClient

        self._wait(self.service("dagster-webserver"), progress)
        DagsterClient(self.settings.url("dagster")).reload_workspace()
        progress("restarting dagster-daemon for the new workspace")
        self.restart("dagster-daemon")

    def service(self, name: str) -> ServiceProcess:
        """One service's process handle, to stop or inspect it by its pid."""
        found = [s for s in self._services() if s.name == name]
        if not found:
            raise PlatformError(f"no service named '{name}' on this platform")
        return found[0]

    def restart(self, name: str, wait: bool = True) -> None:
        """Stop and start one service by pid, waiting (unless told not to) until it is healthy
        again."""
        svc = self.service(name)
        svc.stop()
        svc.start()
        if wait:
            svc.wait_healthy(_timeout(name))

    def env(self) -> dict[str, str]:
        """Variables a shell or a pipeline needs to reach this platform."""
        return services.runtime_env(self.settings, self.secrets)


def _timeout(service: str) -> float:
    if code_servers.is_code_server(service):
        return code_servers.START_TIMEOUT
    return START_TIMEOUT[service]
