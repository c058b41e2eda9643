"""floe plugins: what is installed, per kind, and whether it is healthy."""

from __future__ import annotations

import typer
from rich.table import Table

from floe.cli.output import out

app = typer.Typer(help="Installed plugins, discovered through entry points.", no_args_is_help=True)


@app.command("list")
def list_plugins() -> None:
    """List every plugin kind and the installed implementations of it."""
    from floe.plugins.base import PLUGIN_KINDS, group_for
    from floe.plugins.registry import default_loader

    loader = default_loader()
    table = Table("kind", "entry-point group", "installed")
    for kind in sorted(PLUGIN_KINDS):
        table.add_row(kind, group_for(kind), ", ".join(loader.available(kind)) or "-")
    out().print(table)
