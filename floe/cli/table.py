"""floe table: the running platform's Iceberg tables, as the platform or as a principal."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from floe.cli.output import out

app = typer.Typer(help="Iceberg tables of the running platform: list, read, time travel, history.")

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Platform folder [default: FLOE_HOME or ~/.floe]."),
]
AsOpt = Annotated[
    str,
    typer.Option(
        "--as",
        help="Act as this principal of the platform's manifest (its RBAC applies); "
        "'platform' is the platform's own access.",
    ),
]


def _settings(home: Path | None):  # type: ignore[no-untyped-def]
    from floe.platform.settings import load

    return load(home)


@app.command("list")
def list_command(
    namespace: Annotated[str, typer.Argument(help="Catalog namespace, e.g. customer_360.")],
    principal: AsOpt = "platform",
    home: HomeOpt = None,
) -> None:
    """List the tables of NAMESPACE that the principal may see."""
    from floe.platform import tables

    catalog = tables.open_catalog(_settings(home), principal)
    for name in tables.list_tables(catalog, principal, namespace):
        out().print(name, markup=False, highlight=False)


@app.command("show")
def show(
    identifier: Annotated[str, typer.Argument(help="namespace.table")],
    limit: Annotated[int, typer.Option(min=1, help="Rows to show.")] = 10,
    snapshot: Annotated[
        int | None, typer.Option("--snapshot", help="Read the table as of this snapshot id.")
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            help="Read the table as it was at this time (ISO 8601, UTC unless it says).",
            formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S"],
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Rows as JSON lines.")] = False,
    principal: AsOpt = "platform",
    home: HomeOpt = None,
) -> None:
    """Print the table's schema and first rows, now or at a snapshot or point in time."""
    from datetime import UTC

    from floe.platform import tables

    if snapshot is not None and as_of is not None:
        raise typer.BadParameter("give --snapshot or --as-of, not both", param_hint="--as-of")
    table = tables.load(tables.open_catalog(_settings(home), principal), principal, identifier)
    if as_of is not None:
        snapshot = tables.snapshot_at(table, as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    data = tables.read(table, limit, snapshot)
    if as_json:
        for row in data.to_pylist():
            typer.echo(json.dumps(row, default=str))
        return
    view = Table(*data.column_names, title=f"{identifier} (snapshot {snapshot or 'current'})")
    for row in data.to_pylist():
        view.add_row(*("" if v is None else str(v) for v in row.values()))
    out().print(view)


@app.command("history")
def history(
    identifier: Annotated[str, typer.Argument(help="namespace.table")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per snapshot.")] = False,
    principal: AsOpt = "platform",
    home: HomeOpt = None,
) -> None:
    """The table's snapshots, oldest first: when, what operation, records added/deleted/total."""
    from dataclasses import asdict

    from floe.platform import tables

    table = tables.load(tables.open_catalog(_settings(home), principal), principal, identifier)
    rows = tables.history(table)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(asdict(row), default=str))
        return
    view = Table("snapshot", "committed at (UTC)", "operation", "added", "deleted", "total")
    for r in rows:
        view.add_row(
            str(r.snapshot_id),
            r.committed_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.operation,
            str(r.added_records),
            str(r.deleted_records),
            str(r.total_records),
        )
    out().print(view)
