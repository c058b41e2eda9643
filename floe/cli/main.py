"""The floe command line. Each command is a thin wrapper over one library call."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import typer
from typer._click.exceptions import (  # typer vendors click: its errors are not click's
    ClickException,
    NoArgsIsHelpError,
)

from floe import __version__
from floe.cli import chart, demo, manifest, platform, plugins, promote, schema, security, table
from floe.cli.compile import compile_command
from floe.cli.lifecycle import maintain_command, triggers_command
from floe.cli.logs import logs_command
from floe.cli.output import fail, out
from floe.cli.run import run_command

app = typer.Typer(
    name="floe",
    help="floe: compile data products into one artifact and run them on the platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("compile")(compile_command)
app.command("run")(run_command)
app.command("logs")(logs_command)
app.command("triggers")(triggers_command)
app.command("maintain")(maintain_command)
app.add_typer(schema.app, name="schema")
app.add_typer(plugins.app, name="plugins")
app.add_typer(demo.app, name="demo")
app.add_typer(platform.app, name="platform")
app.add_typer(security.app, name="security")
app.add_typer(chart.app, name="chart")
app.add_typer(table.app, name="table")
app.add_typer(promote.artifact_app, name="artifact")
app.add_typer(manifest.app, name="manifest")
app.add_typer(promote.app, name="promote")


class LogFormat(StrEnum):
    console = "console"
    json = "json"


@app.callback()
def _root(
    log_format: Annotated[
        LogFormat | None,
        typer.Option(
            "--log-format",
            help="Log lines on stderr as 'console' or 'json' "
            "[default: FLOE_LOG_FORMAT or console].",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show progress events.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            is_eager=True,
            callback=lambda v: _print_version() if v else None,
        ),
    ] = False,
) -> None:
    from floe.observability.logging import configure_on_first_use

    configure_on_first_use(log_format.value if log_format else None, verbose=verbose)


def _print_version() -> None:
    out().print(f"floe {__version__}")
    raise typer.Exit(0)


def run(args: list[str]) -> int:
    """Run the CLI and return its exit code; every error becomes one readable line."""
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="floe", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except NoArgsIsHelpError:
        return 0  # typer has already printed the help
    except ClickException as exc:
        exc.show(file=sys.stderr)
        return int(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("Aborted.\n")
        return 130
    except Exception as exc:
        return int(fail(exc).exit_code)
    return 0


@dataclass(frozen=True)
class Result:
    """What an in-process invocation produced (like dbt's dbtRunnerResult)."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def success(self) -> bool:
        return self.exit_code == 0


def invoke(args: list[str]) -> Result:
    """Run the CLI in this process, capturing its output; used by tests and the acceptance steps."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = run(args)
    return Result(code, stdout.getvalue(), stderr.getvalue())


def main() -> None:
    sys.exit(run(sys.argv[1:]))
