"""One Dagster code server per product, run by floe and shared by the webserver and the daemon.

Left to themselves, the webserver and the daemon each start a private server per code location
(and a reload adds more), so every product's code sits in memory at least twice. Worse, the
daemon's servers are its children: restarting the daemon, needed when a product is added, killed
the runs those servers had launched. Servers started here are services like any other: tracked
by pid, listed by ``floe platform status``, and the workspace the webserver and daemon read
points at them by port.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from pydantic import SecretStr

from floe.errors import PlatformError
from floe.platform import deployments
from floe.platform.process import ServiceProcess
from floe.platform.services import dagster_env, workspace_file
from floe.platform.settings import PlatformSettings

BASE_PORT = 7000
MAX_LOCATIONS = 100
PREFIX = "code-server-"
REGISTRY = "code-servers.json"
START_TIMEOUT = 120


def compiled_locations(workspace: Path | None) -> dict[str, Path]:
    """Location name -> definitions file, from the workspace.yaml that ``floe compile`` wrote."""
    if workspace is None or not workspace.is_file():
        return {}
    data = yaml.safe_load(workspace.read_text(encoding="utf-8")) or {}
    found = {}
    for entry in data.get("load_from") or []:
        target = entry.get("python_file") or {}
        if "location_name" in target and "relative_path" in target:
            found[target["location_name"]] = (workspace.parent / target["relative_path"]).resolve()
    return found


def served_locations(settings: PlatformSettings) -> dict[str, Path]:
    """The workspace's locations (dev) and the deployments of staging and prod."""
    return {**compiled_locations(settings.workspace), **deployments.locations(settings)}


def _env(settings: PlatformSettings, env: dict[str, str], name: str) -> dict[str, str]:
    return {**env, **deployments.environment_variables(settings, name)}


def _registry_path(settings: PlatformSettings) -> Path:
    return settings.run_dir / REGISTRY


def registry(settings: PlatformSettings) -> dict[str, dict[str, str | int]]:
    """Every location a server was started for: name -> port and definitions file. Kept so
    that 'down' stops a server even when its product's folder is gone."""
    path = _registry_path(settings)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _register(settings: PlatformSettings, name: str, definitions: Path) -> int:
    known = registry(settings)
    if name in known and known[name]["definitions"] == str(definitions):
        return int(known[name]["port"])
    used = {int(v["port"]) for k, v in known.items() if k != name}
    free = [BASE_PORT + settings.port_offset + i for i in range(MAX_LOCATIONS)]
    port = int(known[name]["port"]) if name in known else next(p for p in free if p not in used)
    known[name] = {"port": port, "definitions": str(definitions)}
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    _registry_path(settings).write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
    return port


def _serving(port: int) -> bool:
    """The server's gRPC health service says SERVING: it has loaded the code and started. (Its
    port accepts TCP connections earlier, while the code is still loading.)"""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

    request = health_pb2.HealthCheckRequest(service="DagsterApi")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(request, timeout=2)
    except grpc.RpcError:
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def server(
    settings: PlatformSettings, env: dict[str, str], name: str, definitions: Path, port: int
) -> ServiceProcess:
    """``dagster api grpc`` (in floe's pre-forking wrapper) loads the code before it serves. A
    load error does not kill it (``--lazy-load-user-code``): the webserver shows the error on
    the location, and ``floe run`` reports it."""
    return ServiceProcess(
        name=f"{PREFIX}{name}",
        command=[
            # -P: the product's folder (the server's cwd) must not shadow installed packages.
            *(sys.executable, "-P", "-m", "floe.runtime.code_server"),
            *("-h", "127.0.0.1", "-p", str(port)),
            *("-f", str(definitions), "-d", str(definitions.parent)),
            *("--location-name", name, "--lazy-load-user-code"),
        ],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=env,
        cwd=definitions.parent,
        health=lambda: _serving(port),
    )


def servers(settings: PlatformSettings, env: dict[str, str]) -> list[ServiceProcess]:
    """A server for every location compiled into the served workspace, and for every location
    one was started for before (so it can be stopped)."""
    wanted = served_locations(settings)
    for name, definitions in wanted.items():
        _register(settings, name, definitions)
    return [
        server(
            settings,
            _env(settings, env, name),
            name,
            Path(str(entry["definitions"])),
            int(entry["port"]),
        )
        for name, entry in sorted(registry(settings).items())
    ]


def write_workspace(settings: PlatformSettings) -> bool:
    """The workspace the webserver and the daemon read: each served location by its port.
    True if it changed (they read it only at start or on a reload)."""
    served = served_locations(settings)
    known = registry(settings)
    entries = [
        {
            "grpc_server": {
                "host": "127.0.0.1",
                "port": int(known[name]["port"]),
                "location_name": name,
            }
        }
        for name in sorted(served)
        if name in known
    ]
    path = workspace_file(settings)
    text = yaml.safe_dump({"load_from": entries}, sort_keys=True)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def ensure(
    settings: PlatformSettings, secrets: dict[str, SecretStr], name: str, restart: bool
) -> bool:
    """Serve location ``name`` from a server that has loaded the current code: start one if
    none runs, or restart it when ``restart``. True if the location is new to the workspace
    the webserver and daemon read."""
    definitions = served_locations(settings).get(name)
    if definitions is None:
        raise PlatformError(
            f"code location '{name}' is not in the served workspace {settings.workspace}",
            hint="compile the product into the folder the platform serves",
        )
    port = _register(settings, name, definitions)
    env = _env(settings, dagster_env(settings, secrets), name)
    svc = server(settings, env, name, definitions, port)
    if restart and svc.pid() is not None:
        # Only the server itself: the runs it launched finish in their own processes.
        svc.stop(children=False)
    svc.start()
    svc.wait_healthy(START_TIMEOUT)
    return write_workspace(settings)


def is_code_server(service: str) -> bool:
    return service.startswith(PREFIX)


def record_started(settings: PlatformSettings, services: list[str]) -> None:
    """A server just started has loaded the artifact beside its definitions: the first run
    after 'up' need not restart it."""
    from floe import artifact
    from floe.artifact.io import ARTIFACT_FILE
    from floe.platform.runs import record_loaded

    served = served_locations(settings)
    for name in (s.removeprefix(PREFIX) for s in services if is_code_server(s)):
        path = served[name].parent / ARTIFACT_FILE if name in served else None
        if path is not None and path.is_file():
            record_loaded(settings, name, artifact.read(path))
