"""structlog set-up: JSON for machines, readable lines for people, trace ids on every line.

structlog is imported by the first logger, not by this module: importing it costs a tenth of
a second, which a command that logs nothing (``floe compile`` of an unchanged product) saves.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TextIO

from floe import config

_pending: tuple[str | None, bool] | None = None


def _add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event["trace_id"] = format(ctx.trace_id, "032x")
        event["span_id"] = format(ctx.span_id, "016x")
    return event


class _Tee:
    """A write-only stream copying each log line to several files."""

    def __init__(self, *streams: TextIO) -> None:
        self._streams = streams

    def write(self, text: str) -> int:
        for stream in self._streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self._streams:
            stream.flush()


def configure_run_log(path: Path, trace_id: str) -> dict[str, str]:
    """JSON lines to stderr (Dagster's compute log) and to ``path``, the run's own log file,
    which outlives the run. Lines logged outside any span (exporter threads, library
    callbacks) get the run's ids; the returned dict is where the caller puts the root span id
    once it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a", encoding="utf-8")  # closed at process exit: the run worker's life
    ids = {"trace_id": trace_id}

    def run_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in ids.items():
            event.setdefault(key, value)
        return event

    configure("json", stream=_Tee(sys.stderr, stream), extra=[run_ids])
    return ids


def configure(
    fmt: str | None = None,
    verbose: bool = False,
    stream: Any = None,
    extra: list[Any] | None = None,
) -> None:
    """Route structlog to stderr; stdout stays free for command output.

    JSON logs carry every event (machines filter); console logs show warnings unless verbose.
    """
    import structlog

    global _pending
    _pending = None
    fmt = fmt or config.log_format()
    level = logging.INFO if fmt == "json" or verbose else logging.WARNING
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_trace_ids,
            *(extra or []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def configure_on_first_use(fmt: str | None, verbose: bool) -> None:
    """The CLI's choice of format, applied by the first ``get_logger`` of this process, or now
    when structlog is already loaded (a second command run in the same process)."""
    global _pending
    if "structlog" in sys.modules:
        configure(fmt, verbose)
    else:
        _pending = (fmt, verbose)


def get_logger(name: str) -> Any:
    import structlog

    if _pending is not None:
        configure(*_pending)
    return structlog.get_logger(name)
