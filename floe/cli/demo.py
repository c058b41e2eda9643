"""floe demo: seed data for the three demo products."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from floe.cli.output import out

app = typer.Typer(help="The demo data products.", no_args_is_help=True)


@app.command("seed")
def seed(
    demo_dir: Annotated[Path, typer.Option(help="Folder holding the demo products.")] = Path(
        "demo"
    ),
    scale: Annotated[
        float | None,
        typer.Option(
            min=0.001, max=1000, help="Row multiplier [default: FLOE_DEMO_SEED_SCALE or 1]."
        ),
    ] = None,
) -> None:
    """(Re)write each product's seeds/*.csv deterministically at the given scale."""
    from floe import config
    from floe.demo.seeds import GENERATORS, write_seeds

    factor = scale if scale is not None else config.seed_scale()
    for product in GENERATORS:
        counts = write_seeds(product, demo_dir / product / "seeds", factor)
        rows = ", ".join(f"{t}={n}" for t, n in counts.items())
        out().print(f"{product}: {rows}")


@app.command("run")
def run(
    demo_dir: Annotated[Path, typer.Option(help="Folder holding the demo products.")] = Path(
        "demo"
    ),
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o")] = Path("target/floe"),
    home: Annotated[
        Path | None, typer.Option("--home", help="Platform folder [default: FLOE_HOME or ~/.floe].")
    ] = None,
    scale: Annotated[
        float | None,
        typer.Option(
            min=0.001, max=1000, help="Seed row multiplier [default: FLOE_DEMO_SEED_SCALE or 1]."
        ),
    ] = None,
    open_pages: Annotated[
        bool | None,
        typer.Option(
            "--open/--no-open",
            help="Open the Dagster UI, traces, lineage and metrics in the desktop's browser "
            "[default: when run in a terminal of a graphical session].",
        ),
    ] = None,
) -> None:
    """Compile the three demo products, start the platform, run every pipeline through Dagster
    and print what landed in the lakehouse. The platform keeps running afterwards."""
    from urllib.parse import quote

    from rich.table import Table

    from floe import config
    from floe.cli.output import err
    from floe.demo.runner import run_demo
    from floe.errors import PipelineError
    from floe.observability.tracing import format_trace_id, trace_id_for_run
    from floe.platform import runs
    from floe.platform.settings import load

    settings = load(home)
    factor = scale if scale is not None else config.seed_scale()
    console = err()
    with console.status("starting the demo") as status:
        summary = run_demo(demo_dir, output_dir, settings, factor, status.update)
    table = Table("product", "models", "status", "run time", "rows in gold tables", "trace id")
    for product, r in summary.results.items():
        rows = runs.gold_rows(runs.load_artifact(output_dir, product), r)
        gold = ", ".join(f"{k}={v}" for k, v in rows.items())
        table.add_row(
            product,
            str(summary.models[product]),
            r.status,
            f"{r.seconds}s",
            gold,
            format_trace_id(trace_id_for_run(r.run_id)),
        )
    out().print(table)
    s = settings
    gold = f"dataset:{s.url('iceberg')}:customer_360.gold_customer_360"
    lineage_page = f"{s.url('lineage')}/lineage?nodeId={quote(gold, safe='')}"
    out().print(
        f"demo finished in {summary.seconds['total']:.0f}s "
        f"(compile {summary.seconds['compile']:.0f}s, "
        f"platform up {summary.seconds['platform_up']:.0f}s, seed scale {factor:g})\n"
        f"  Dagster UI:        {s.url('dagster')}/asset-groups  (global asset lineage)\n"
        f"  Iceberg REST:      {s.url('iceberg')}/v1/config\n"
        f"  S3 (SeaweedFS):    {s.url('s3')}  bucket 'warehouse'\n"
        f"  traces (Phoenix):  {s.url('phoenix')}/projects  (one project per product: "
        "floe-<product>; API: /v1/projects/floe-<product>/spans/otlpv1?trace_id=<trace id>)\n"
        f"  demo trace:        {summary.trace_id}  (project floe-demo: one span per product "
        "run, each run's root span links back to it)\n"
        f"  lineage graph:     {lineage_page}  (API: /api/v1/lineage?nodeId=<node id>)\n"
        f"  metrics (Prometheus): {s.url('prometheus')}/consoles/floe-pipelines.html  "
        f"(query: {s.url('prometheus')}/api/v1/query?query=floe_pipeline_run_duration_seconds)\n"
        f"  run logs (JSON, trace ids on every line): {s.home / 'logs' / 'runs'}/<run id>.jsonl\n"
        f'  shell access:      eval "$(.venv/bin/floe platform env)"\n'
        "The platform keeps running. Stop it with: .venv/bin/floe platform down "
        "(add --purge to delete its data)"
    )
    if open_pages is None:
        graphical = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        open_pages = graphical and sys.stdout.isatty()
    if open_pages:
        import webbrowser

        for url in (
            f"{s.url('dagster')}/asset-groups",
            f"{s.url('phoenix')}/projects",
            lineage_page,
            f"{s.url('prometheus')}/consoles/floe-pipelines.html",
        ):
            webbrowser.open_new_tab(url)
    failed = [p for p, r in summary.results.items() if r.status != "SUCCESS"]
    if failed:
        raise PipelineError(
            f"demo pipelines failed: {', '.join(failed)}",
            hint="open the Dagster UI run page for the failing step's logs",
        )
