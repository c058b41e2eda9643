"""floe run: compiled products through Dagster on the running platform."""

from __future__ import annotations

import os
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from floe.cli.output import err, out
from floe.compiler import DEFAULT_OUTPUT_DIR


def run_command(
    products: Annotated[list[str], typer.Argument(help="Product names, as compiled.")],
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Where 'floe compile' wrote the artifacts.")
    ] = DEFAULT_OUTPUT_DIR,
    home: Annotated[
        Path | None, typer.Option("--home", help="Platform folder [default: FLOE_HOME or ~/.floe].")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each run.")] = 1800,
    from_failure: Annotated[
        str | None,
        typer.Option(
            "--from-failure",
            help="Re-execute this failed run's failed models and their descendants only.",
        ),
    ] = None,
    env: Annotated[
        str,
        typer.Option(
            "--env",
            help="dev runs what 'floe compile' wrote; staging and prod run the artifact "
            "promoted there, in that environment's warehouse.",
        ),
    ] = "dev",
) -> None:
    """Run each product's pipeline (dbt seed, models and tests in dependency order) through
    Dagster and wait for it. Exits 5 if a run fails, naming what failed."""
    from floe.errors import PipelineError
    from floe.platform import deployments, runs
    from floe.platform.dagster_client import RunResult
    from floe.platform.governance import check_manifest
    from floe.platform.local import LocalPlatform
    from floe.platform.settings import load

    settings = load(home)
    console = err()
    for key, value in LocalPlatform(settings).env().items():
        os.environ.setdefault(key, value)
    locations: dict[str, str | None] = dict.fromkeys(products)
    if env == "dev":
        # Whether the platform runs this artifact at all comes first: its manifest must be the
        # platform's. Then whether it is the one the platform serves.
        artifacts = {product: runs.load_artifact(output_dir, product) for product in products}
        for compiled in artifacts.values():
            check_manifest(compiled, settings.manifest_sha256, "floe run")
        _check_workspace(settings.workspace, output_dir)
    else:
        artifacts = {}
        for product in products:
            artifacts[product], locations[product] = runs.deployed_artifact(settings, env, product)
    launched: dict[str, str] = {}
    with console.status("launching") as status:
        if from_failure:
            launched[products[0]] = runs.reexecute_from_failure(
                settings, artifacts[products[0]], from_failure, locations[products[0]]
            )
        else:
            for product, compiled in artifacts.items():
                launched[product] = runs.launch(
                    settings, compiled, status.update, location=locations[product]
                )
        results = {}
        for product, run_id in launched.items():

            def show(r: RunResult, p: str = product) -> None:
                status.update(f"{p}: {r.status.lower()}, {len(r.materialized)} tables written")

            results[product] = runs.wait(settings, run_id, timeout, show)
    table = Table("product", "run", "status", "seconds", "tables", "rows (gold)")
    failed = []
    for product, r in results.items():
        gold = runs.gold_rows(artifacts[product], r, env)
        table.add_row(
            product,
            r.run_id[:8],
            r.status,
            str(r.seconds),
            str(len(r.materialized)),
            ", ".join(f"{k}={v}" for k, v in gold.items()),
        )
        if r.status != "SUCCESS":
            failed.append((product, r))
    out().print(table)
    if failed:
        lines = [
            f"{p} run {r.run_id}: {r.status}; failed: {', '.join(r.failed_assets) or '-'}; "
            f"{(r.errors[0].splitlines()[0] if r.errors else '')}"
            for p, r in failed
        ]
        location = locations[failed[0][0]]
        with deployments.acting_as(settings, location) if location else nullcontext():
            lines += runs.diagnose(artifacts[failed[0][0]])
        raise PipelineError(
            "\n".join(lines),
            hint=f"re-run only what failed: floe run {failed[0][0]} "
            f"--from-failure {failed[0][1].run_id}" + (f" --env {env}" if env != "dev" else ""),
        )


def _check_workspace(served: Path | None, output_dir: Path) -> None:
    """The platform runs the artifacts of the workspace it serves; running another folder's
    would silently run stale code."""
    from floe.errors import PlatformError

    wanted = (output_dir / "workspace.yaml").resolve()
    if served is not None and served.resolve() != wanted:
        raise PlatformError(
            f"the platform serves {served}, not {wanted}",
            hint=f"compile into {served.parent}, or restart the platform with "
            f"'floe platform down && floe platform up --workspace {wanted}'",
        )
