"""floe platform up | down | status | env: the local platform's lifecycle."""

from __future__ import annotations

import shlex
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from floe.cli.output import err, out

app = typer.Typer(help="Start, inspect and stop the platform's services.", no_args_is_help=True)


class Target(StrEnum):
    local = "local"


HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Platform folder: data, logs, pids, credentials [default: FLOE_HOME or ~/.floe].",
    ),
]
OffsetOpt = Annotated[
    int | None,
    typer.Option(
        "--port-offset",
        help="Added to every port (Dagster 3000, Iceberg REST 8181, S3 8333, "
        "PostgreSQL 15432) so two platforms can run side by side.",
    ),
]
TargetOpt = Annotated[
    Target,
    typer.Option(
        "--target",
        help="Where services run. 'local': processes on 127.0.0.1. The Kind target "
        "needs a container engine and runs from the Helm chart.",
    ),
]


def _platform(home: Path | None, offset: int | None = None, workspace: Path | None = None):  # type: ignore[no-untyped-def]
    from floe.platform.local import LocalPlatform
    from floe.platform.settings import load

    return LocalPlatform(load(home, offset, workspace))


@app.command("up")
def up(
    home: HomeOpt = None,
    port_offset: OffsetOpt = None,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Compiled workspace.yaml to serve [default: the one this home served before, "
            "else target/floe/workspace.yaml if present].",
        ),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            "-m",
            help="Register the platform team's manifest.yaml: only artifacts compiled against "
            "it will run [default: the one registered before, if any].",
        ),
    ] = None,
    triggers: Annotated[
        bool | None,
        typer.Option(
            "--triggers/--no-triggers",
            help="Run each product's schedules and sensors (its first run once the platform "
            "is healthy, then every 10 minutes, and table maintenance) "
            "[default: the setting saved before, else on].",
        ),
    ] = None,
    target: TargetOpt = Target.local,
) -> None:
    """Start PostgreSQL, S3 + the Iceberg REST catalog, and Dagster; wait until each is healthy."""
    from floe.platform.local import LocalPlatform
    from floe.platform.settings import load

    # A platform started again serves what it served, wherever the command is typed.
    default_ws = Path("target/floe/workspace.yaml")
    ws = workspace
    if ws is None and load(home).workspace is None and default_ws.is_file():
        ws = default_ws
    platform = LocalPlatform(load(home, port_offset, ws, manifest, triggers))
    console = err()
    with console.status("starting the platform") as status:
        timings = platform.up(progress=lambda msg: status.update(msg))
    for name, seconds in timings.items():
        if name != "total":
            console.print(f"  {name:18s} healthy after {seconds:5.1f}s")
    console.print(
        f"platform up in {timings['total']:.1f}s ({target.value}); home {platform.settings.home}"
    )
    s = platform.settings
    console.print(
        f"manifest: {s.manifest} (sha256 {s.manifest_sha256[:12]}): only artifacts compiled "
        "against it run"
        if s.manifest and s.manifest_sha256
        else "manifest: none registered, so any compiled artifact runs "
        "(register one with --manifest)",
        markup=False,
    )
    _print_status(platform)
    console.print("stop it with: floe platform down   (add --purge to delete its data)")


@app.command("down")
def down(
    home: HomeOpt = None,
    purge: Annotated[
        bool, typer.Option("--purge", help="Also delete data, logs and credentials.")
    ] = False,
) -> None:
    """Stop every service by pid. Data is kept unless --purge."""
    platform = _platform(home)
    stopped = platform.down(purge=purge, progress=lambda msg: err().print(f"  {msg}"))
    out().print(
        f"stopped {len(stopped)} service(s)" + (", data removed" if purge else ", data kept")
    )


@app.command("status")
def status(home: HomeOpt = None) -> None:
    """Each service (address, health, pid), then each plugin the served products use and its
    health check. Exits 1 if any service or plugin is not healthy."""
    platform = _platform(home)
    if not _print_status(platform):
        raise typer.Exit(1)


@app.command("env")
def env(home: HomeOpt = None) -> None:
    """Print 'export NAME=value' lines for a shell: eval "$(floe platform env)"."""
    for key, value in sorted(_platform(home).env().items()):
        out().print(f"export {key}={shlex.quote(value)}", markup=False, highlight=False)


def _print_status(platform) -> bool:  # type: ignore[no-untyped-def]
    from floe.platform.plugin_health import check_plugins

    table = Table("service", "address", "health", "pid")
    healthy = True
    for s in platform.status():
        healthy &= s.healthy
        table.add_row(s.name, s.address, "healthy" if s.healthy else "DOWN", str(s.pid or "-"))
    out().print(table)
    plugins = check_plugins(platform.settings, platform.env())
    if plugins:
        ptable = Table("plugin", "implementation", "health", "detail", "used by")
        for p in plugins:
            healthy &= p.healthy
            ptable.add_row(
                p.kind,
                p.name,
                "healthy" if p.healthy else "DOWN",
                Text(p.detail),
                ", ".join(p.products),
            )
        out().print(ptable)
    return healthy
