"""Everything the CLI prints goes through here: results on stdout, errors on stderr."""

from __future__ import annotations

import sys
from typing import TextIO

import typer
from rich.console import Console
from rich.text import Text

from floe import config
from floe.errors import ExitCode, FloeError


def _console(stream: TextIO) -> Console:
    """Created per call so in-process invocations capture what is printed; wide when piped."""
    width = None if stream.isatty() else 160
    return Console(file=stream, highlight=False, soft_wrap=True, width=width)


def out() -> Console:
    return _console(sys.stdout)


def err() -> Console:
    return _console(sys.stderr)


def fail(exc: BaseException) -> typer.Exit:
    """Print one clear error and return the Exit to raise. Never a traceback unless FLOE_DEBUG."""
    console = err()
    if config.debug():
        console.print_exception()
    if isinstance(exc, FloeError):
        _error(console, str(exc))
        return typer.Exit(int(exc.exit_code))
    # Imported here: building the spec models is the largest part of the CLI's start-up.
    from pydantic import ValidationError

    from floe.spec.loader import describe_errors

    if isinstance(exc, ValidationError):
        lines = "\n".join(f"  - {p}" for p in describe_errors(exc))
        _error(console, f"invalid input ({exc.title}):\n{lines}")
        return typer.Exit(int(ExitCode.VALIDATION))
    if isinstance(exc, ValueError):
        _error(console, str(exc))
        return typer.Exit(int(ExitCode.USER_ERROR))
    _error(
        console,
        f"unexpected {type(exc).__name__}. "
        "Re-run with FLOE_DEBUG=1 to see the details, and report it.",
    )
    return typer.Exit(int(ExitCode.INTERNAL))


def _error(console: Console, message: str) -> None:
    """User text is never read as rich markup: '[a-z]' or '[/x]' in a value prints as is."""
    console.print(Text.assemble(("Error:", "bold red"), " ", message))
