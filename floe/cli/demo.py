"""floe demo: seed data for the three demo products."""

from __future__ import annotations

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
        float | None, typer.Option(help="Row multiplier [default: FLOE_DEMO_SEED_SCALE or 1].")
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
