"""floe chart: what the floe-platform Helm chart needs from floe."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from floe.cli.output import out

app = typer.Typer(help="The floe-platform Helm chart: values from a manifest and its products.")


class Environment(StrEnum):
    dev = "dev"
    staging = "staging"
    prod = "prod"


@app.command("values")
def values(
    products: Annotated[
        list[Path],
        typer.Argument(help="Product folders (each with a floe.yaml) the release serves."),
    ],
    manifest: Annotated[
        Path,
        typer.Option(help="The platform manifest.", exists=True, dir_okay=False),
    ],
    environment: Annotated[
        Environment, typer.Option("--environment", "-e", help="The release's environment.")
    ] = Environment.dev,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the values one environment's release takes from the manifest: a code location
    and catalog principal per product (writing only its namespace), the manifest's RBAC as
    Polaris management calls, and where Marquez keeps its data. Use with
    `helm install floe charts/floe-platform -f values-ENV.yaml`."""
    from floe.chart.from_manifest import render

    for folder in products:
        if not (folder / "floe.yaml").is_file():
            raise typer.BadParameter(
                f"{folder}: no floe.yaml in this folder", param_hint="PRODUCTS"
            )
    text = render(manifest, products, environment.value)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    out().print(f"wrote {output}", markup=False)
