"""floe logs: a run's structured log lines, found by run id or trace id (they are the same
128-bit id), so an operator goes from a failed run or a trace straight to what went wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from floe.cli.output import out

LEVELS = ("debug", "info", "warning", "error")


def logs_command(
    run: Annotated[str, typer.Argument(help="Dagster run id or trace id (32 hex digits).")],
    level: Annotated[
        str, typer.Option("--level", "-l", help="Lowest level shown: debug, info, warning, error.")
    ] = "info",
    model: Annotated[
        str | None, typer.Option("--model", help="Only lines about this model.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON lines.")] = False,
    home: Annotated[
        Path | None, typer.Option("--home", help="Platform folder [default: FLOE_HOME or ~/.floe].")
    ] = None,
) -> None:
    """Show the JSON log of one pipeline run; every line carries trace_id and span_id."""
    from floe.errors import PlatformError
    from floe.platform.settings import load

    if level not in LEVELS:
        raise PlatformError(
            f"--level {level!r} is not a log level", hint=f"use {', '.join(LEVELS)}"
        )
    folder = load(home).home / "logs" / "runs"
    matches = _find(folder, run)
    if not matches:
        raise PlatformError(
            f"no log of run {run!r} in {folder}",
            hint="pass the run id 'floe run' printed (a prefix will do), or the run's trace id",
        )
    if len(matches) > 1:
        raise PlatformError(
            f"{run!r} matches {len(matches)} runs: {', '.join(p.stem for p in matches[:5])}",
            hint="give more characters of the run id",
        )
    path = matches[0]
    lines = _read(path)
    shown = [
        line
        for line in lines
        if _rank(line) >= LEVELS.index(level) and (model is None or line.get("model") == model)
    ]
    if as_json:
        for line in shown:
            out().print_json(json.dumps(line))
        return
    table = Table("time", "level", "event", "model", "span id", "detail")
    for line in shown:
        table.add_row(
            str(line.get("timestamp", ""))[11:23],
            str(line.get("level", "")),
            str(line.get("event", "")),
            str(line.get("model", "")),
            str(line.get("span_id", "")),
            _detail(line),
        )
    out().print(f"run {path.stem}  trace {lines[0].get('trace_id', '-') if lines else '-'}")
    out().print(table)


def _find(folder: Path, run: str) -> list[Path]:
    wanted = run.strip().lower().replace("-", "")
    if not folder.is_dir() or not wanted:
        return []
    return [p for p in sorted(folder.glob("*.jsonl")) if p.stem.replace("-", "").startswith(wanted)]


def _read(path: Path) -> list[dict[str, Any]]:
    """Parsed lines; a line still being written by a running run is left out."""
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError:
            continue
    return lines


def _rank(line: dict[str, Any]) -> int:
    level = str(line.get("level", "info")).lower()
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)  # critical and above


def _detail(line: dict[str, Any]) -> str:
    skip = {"timestamp", "level", "event", "model", "span_id", "trace_id", "product", "run_id"}
    return ", ".join(f"{k}={v}" for k, v in sorted(line.items()) if k not in skip)[:200]
