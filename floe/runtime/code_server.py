"""``dagster api grpc``, with run workers forked from a process that has already imported them.

Dagster's code server starts every run in a fresh interpreter (multiprocessing "spawn", fixed in
its server): on two cores that is 3.5 s to start Python and 4 s to import dagster, dagster-dbt
and floe's runtime again, about 8 s of every run before its first event. Here the server gets a
"forkserver" context instead: a clean single-threaded process (started by exec, not forked from
the gRPC server and its threads) imports those modules once, at the server's first run, and
each later run worker is forked from it in milliseconds. (Preloading when the server starts
made 'platform up' 10 s slower: three products' imports at once on two cores.) Runs still get
a process of their own, so a crashed or cancelled run takes nothing else down, and a server
restart leaves in-flight runs alone as before. The forkserver costs about 180 MB per product.

The Great Expectations stack is left out of the preload on purpose: it weighs several hundred MB
and the run worker already imports it on a thread while dbt builds.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import Any

# What a run worker imports before its first event; each costs seconds to import.
PRELOAD = (
    "dagster",
    "dagster._grpc.impl",
    "dagster_dbt",
    "pyiceberg.catalog.rest",
    "floe.runtime.definitions",
)

# In the command line of the process the run workers are forked from (and, forked, of theirs).
FORKSERVER_MARK = "multiprocessing.forkserver"


def _install() -> None:
    from dagster._grpc import server

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))

    class PreforkingApiServer(server.DagsterApiServer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._mp_ctx = context  # type: ignore[assignment]  # typed as "spawn" upstream

    # The CLI builds its server through this module-level name.
    server.DagsterApiServer = PreforkingApiServer  # type: ignore[misc]


def main() -> None:
    _install()
    from dagster._cli import main as dagster_main

    sys.argv = ["dagster", "api", "grpc", *sys.argv[1:]]
    sys.exit(dagster_main())  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
