"""floe triggers / floe maintain: what runs a product on its own, and keeping its tables small."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from floe.cli.output import err, out
from floe.compiler import DEFAULT_OUTPUT_DIR

if TYPE_CHECKING:
    from floe.platform.dagster_client import RunResult

OutputOpt = Annotated[
    Path, typer.Option("--output-dir", "-o", help="Where 'floe compile' wrote the artifacts.")
]
HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Platform folder [default: FLOE_HOME or ~/.floe].")
]


def triggers_command(
    products: Annotated[list[str], typer.Argument(help="Product names, as compiled.")],
    output_dir: OutputOpt = DEFAULT_OUTPUT_DIR,
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per trigger.")] = False,
) -> None:
    """Show each product's schedules and sensors as Dagster runs them: the job each starts,
    the cron, whether it is running, and when it last ticked with what result."""
    from floe.platform import runs
    from floe.platform.dagster_client import DagsterClient
    from floe.platform.settings import load

    client = DagsterClient(load(home).url("dagster"))
    view = Table("product", "kind", "name", "cron (timezone)", "status", "last tick (UTC)", "runs")
    for product in products:
        compiled = runs.load_artifact(output_dir, product)
        for t in client.triggers(compiled.orchestration.code_location):
            if as_json:
                typer.echo(json.dumps({"product": product, **t.model_dump()}))
                continue
            tick = (
                datetime.fromtimestamp(t.last_tick_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
                + f" {t.last_tick_status}"
                if t.last_tick_at
                else "never"
            )
            cron = f"{t.cron} ({t.timezone})" if t.cron else "-"
            view.add_row(product, t.kind, t.name, cron, t.status, tick, ", ".join(t.last_run_ids))
    if not as_json:
        out().print(view)


def _progress(update: Callable[[str], None], product: str) -> Callable[[RunResult], None]:
    return lambda r: update(f"{product}: {r.status.lower()}")


def maintain_command(
    products: Annotated[list[str], typer.Argument(help="Product names, as compiled.")],
    output_dir: OutputOpt = DEFAULT_OUTPUT_DIR,
    home: HomeOpt = None,
    file_grace_seconds: Annotated[
        int,
        typer.Option(
            min=0,
            help="Never remove files younger than this: a writer may be about to commit them.",
        ),
    ] = 600,
) -> None:
    """Run each product's maintenance job through Dagster now: delete rows older than the
    retention window, expire snapshots beyond the ones kept, remove files no kept snapshot
    references. Prints what each table lost."""
    from floe.errors import PipelineError
    from floe.platform import runs
    from floe.platform.local import LocalPlatform
    from floe.platform.settings import load

    settings = load(home)
    for key, value in LocalPlatform(settings).env().items():
        os.environ.setdefault(key, value)
    view = Table(
        "table",
        "rows deleted",
        "files compacted",
        "snapshots expired",
        "files removed",
        "bytes freed",
    )
    failed = []
    with err().status("maintenance") as status:
        for product in products:
            compiled = runs.load_artifact(output_dir, product)
            config = {
                "ops": {"maintain_tables": {"config": {"file_grace_seconds": file_grace_seconds}}}
            }
            run_id = runs.launch(
                settings,
                compiled,
                status.update,
                job=f"{compiled.orchestration.job_name}_maintenance",
                run_config=config,
            )
            result = runs.wait(settings, run_id, 900, _progress(status.update, product))
            if result.status != "SUCCESS":
                failed.append(f"{product}: {' | '.join(result.errors) or result.status}")
            for key, meta in sorted(result.observations.items()):
                view.add_row(
                    key.replace("/", "."),
                    str(meta.get("rows_deleted", 0)),
                    str(meta.get("files_compacted", 0)),
                    str(meta.get("snapshots_expired", 0)),
                    str(meta.get("files_removed", 0)),
                    str(meta.get("bytes_freed", 0)),
                )
    out().print(view)
    if failed:
        raise PipelineError("maintenance failed: " + "; ".join(failed))
