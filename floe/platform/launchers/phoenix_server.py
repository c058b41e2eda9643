"""Starts Arize Phoenix (the local trace store) with its OTLP gRPC receiver on 127.0.0.1.

Phoenix binds gRPC to every interface and offers no setting for it; the local platform only
ever listens on the loopback interface, so the bind address is rewritten before Phoenix starts.
Runs in Phoenix's own environment (its pins conflict with Dagster's), so it imports no floe.
"""

from __future__ import annotations

import sys
from typing import Any

import grpc.aio


def _loopback_server(*args: Any, **kwargs: Any) -> Any:
    server = _make_server(*args, **kwargs)
    bind = server.add_insecure_port

    def add_insecure_port(address: str) -> int:
        return int(bind(address.replace("[::]", "127.0.0.1")))

    server.add_insecure_port = add_insecure_port
    return server


_make_server = grpc.aio.server
grpc.aio.server = _loopback_server

if __name__ == "__main__":
    from phoenix.server.main import main

    sys.argv = ["phoenix", "serve"]
    main()
