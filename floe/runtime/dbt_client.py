"""``floe-dbt``: the ``dbt`` command line, run by the platform's warm dbt server when one serves.

dagster-dbt starts this instead of ``dbt`` (see :mod:`floe.runtime.dbt_server`); it hands the
server its arguments, working directory, environment and stdin/stdout/stderr, forwards SIGINT
and SIGTERM to the dbt child (dagster-dbt interrupts a cancelled run's dbt with SIGINT), and
exits with dbt's exit code. With no server (none configured, or not answering) it becomes the
``dbt`` beside this Python, so a run never depends on the server being up.

Only the standard library is imported here: this process starts for every dbt command.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
from pathlib import Path

SOCKET_ENV = "FLOE_DBT_SERVER"
HEADER = struct.Struct("!I")  # as in floe.runtime.dbt_server, which this module must not import


def _plain_dbt(args: list[str]) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    os.execv(dbt, [str(dbt), *args])  # noqa: S606  (dbt's own executable, argv as given)


def _connect(path: str) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    return conn


def run(args: list[str]) -> int:
    path = os.environ.get(SOCKET_ENV)
    conn = _connect(path) if path else None
    if conn is None:
        _plain_dbt(args)
    assert conn is not None
    request = json.dumps({"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    socket.send_fds(conn, [HEADER.pack(len(request))], [0, 1, 2])
    conn.sendall(request)
    replies = conn.makefile("r", encoding="utf-8")
    first = replies.readline()
    if not first:
        print("floe-dbt: the dbt server closed the connection", file=sys.stderr)
        return 1
    pid = int(json.loads(first)["pid"])

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):  # dbt already ended
            os.kill(pid, signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    last = replies.readline()
    if not last:
        print(f"floe-dbt: the dbt server lost dbt (pid {pid})", file=sys.stderr)
        return 1
    return int(json.loads(last)["exit_code"])


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
