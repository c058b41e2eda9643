"""floe plugins: what is installed, per kind, each one's settings, and whether it is healthy."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from floe.cli.output import out

app = typer.Typer(
    help="Installed plugins, discovered through entry points (group floe.<kind>). A package "
    "that registers an entry point there is used with no change to floe.",
    no_args_is_help=True,
)


@app.command("list")
def list_plugins(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per plugin.")] = False,
) -> None:
    """List every plugin kind (15 ABCs) and the installed implementations of each, with the
    distribution that provides it and its version."""
    from floe.plugins.base import PLUGIN_KINDS, group_for
    from floe.plugins.registry import default_loader

    loader = default_loader()
    rows = [p for kind in sorted(PLUGIN_KINDS) for p in loader.installed(kind)]
    if as_json:
        out().print_json(json.dumps([p.model_dump() for p in rows]))
        return
    table = Table("kind", "implementation", "distribution", "version", "entry-point group")
    for kind in sorted(PLUGIN_KINDS):
        found = [p for p in rows if p.kind == kind]
        if not found:
            table.add_row(kind, Text("- (ABC only)", "dim"), "", "", group_for(kind))
        for p in found:
            table.add_row(kind, p.name, p.distribution, p.version, group_for(kind))
    out().print(table)
    implemented = len({p.kind for p in rows})
    # The 15th ABC is PluginLoader, the registry that found all of these.
    out().print(
        f"{len(PLUGIN_KINDS) + 1} plugin ABCs: {len(PLUGIN_KINDS)} kinds, "
        f"{implemented} with an implementation"
    )


@app.command("show")
def show_plugin(
    kind: Annotated[str, typer.Argument(help="Plugin kind, e.g. compute.")],
    name: Annotated[str, typer.Argument(help="Implementation name, e.g. duckdb.")],
) -> None:
    """Print one plugin's settings as JSON Schema: what goes under plugins.<kind>.config in
    manifest.yaml. Secrets are written as {env: VAR} references there."""
    from floe.plugins.registry import default_loader

    cls = default_loader().get(kind, name)
    schema = cls.config_model.model_json_schema()
    info = {
        "kind": kind,
        "name": name,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "requires": dict(cls.requires),
        "compatible_with": {k: sorted(v) for k, v in cls.compatible_with.items()},
        "example_config": dict(cls.example_config),
        "config_schema": schema,
    }
    out().print_json(json.dumps(info))


@app.command("check")
def check_plugins(
    kind: Annotated[str | None, typer.Argument(help="Only this kind.")] = None,
    name: Annotated[str | None, typer.Argument(help="Only this implementation.")] = None,
) -> None:
    """Run the compliance suite on installed plugins: ABC implemented, config model frozen with
    secrets typed as secrets, example config valid, health check answers, methods work. Exits
    1 if any check fails. Plugin authors: run it on yours before you publish."""
    from floe.errors import PluginNotFoundError
    from floe.plugins.base import PLUGIN_KINDS
    from floe.plugins.compliance import check_plugin
    from floe.plugins.registry import default_loader

    loader = default_loader()
    kinds = [kind] if kind else sorted(PLUGIN_KINDS)
    targets = [(k, n) for k in kinds for n in loader.available(k) if name in (None, n)]
    if not targets:
        raise PluginNotFoundError(
            f"no installed plugin matches {kind or '*'} {name or '*'}",
            hint="see 'floe plugins list'",
        )
    table = Table("kind", "implementation", "check", "result", "detail")
    failed = 0
    for k, n in targets:
        report = check_plugin(k, n)
        for c in report.checks:
            failed += not c.ok
            table.add_row(k, n, c.name, "ok" if c.ok else Text("FAIL", "red"), Text(c.detail))
    out().print(table)
    out().print(f"{len(targets)} plugin(s), {failed} failed check(s)")
    if failed:
        raise typer.Exit(1)
