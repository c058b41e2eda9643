"""Telemetry must never stop a pipeline: a failed export is reported once per process and
per destination, then dropped, so a down collector costs one warning, not one per span."""

from __future__ import annotations

import threading
from typing import Any

from floe.observability.logging import get_logger

_lock = threading.Lock()
_reported: set[str] = set()


def report_once(destination: str, error: str, **fields: Any) -> bool:
    """Log that ``destination`` is unreachable, the first time only; True if it logged."""
    with _lock:
        if destination in _reported:
            return False
        _reported.add(destination)
    get_logger("floe.observability").warning(
        "observability.export_failed",
        destination=destination,
        error=error,
        consequence="the pipeline goes on; this telemetry is lost",
        **fields,
    )
    return True
