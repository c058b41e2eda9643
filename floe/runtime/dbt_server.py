"""A warm dbt: one process that has imported dbt once and forks a child per ``dbt`` command.

Every dbt command starts a new Python that imports dbt-core and its adapter before doing
anything: 4-5 s on two cores (dbt's dataclass serializers are generated at import), paid by
every run, longer than most of the models it then builds. This server imports dbt once, when
the platform starts, and each ``floe-dbt`` command (:mod:`floe.runtime.dbt_client`) has a
child forked from it run the command, with the client's own stdin, stdout and stderr (passed
over the socket), working directory, environment and arguments. The child is dbt's own command
line, so dagster-dbt reads the same event stream and exit code as from the ``dbt`` executable.

Forking is safe because this process stays single-threaded and opens nothing (no connection,
no adapter): it only imports. Each command gets a watcher process between the server and the
dbt child: it reports the child's pid (the client forwards signals to it, so a cancelled run
interrupts dbt as before) and its exit code, and kills the child when the client goes away
(a killed run worker leaves no dbt behind).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import logging
import os
import select
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

# What a dbt command imports before its first event. An adapter that is not installed is
# simply not preloaded (its command imports it, as the dbt executable would).
PRELOAD = (
    "dbt.cli.main",
    "dbt.task.build",
    "dbt.parser.manifest",
    "dbt.adapters.duckdb",
    "dbt.adapters.duckdb.impl",
)
HEADER = struct.Struct("!I")  # length of the JSON request that follows the passed fds
STDIO = 3
KILL_GRACE_S = 5.0


def preload() -> list[str]:
    loaded = []
    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        loaded.append(module)
    return loaded


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client closed the connection mid-request")
        data += chunk
    return data


def _read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """(request, [stdin, stdout, stderr]), or None for a connection that only checks that the
    server answers (the health check)."""
    data, fds, _, _ = socket.recv_fds(conn, HEADER.size, STDIO)
    if not data:
        for fd in fds:
            os.close(fd)
        return None
    if len(fds) != STDIO:
        for fd in fds:
            os.close(fd)
        raise ConnectionError(f"expected {STDIO} file descriptors, got {len(fds)}")
    data += _recv_exact(conn, HEADER.size - len(data))
    (length,) = HEADER.unpack(data)
    return json.loads(_recv_exact(conn, length)), fds


def _send(conn: socket.socket, message: dict[str, int]) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


def _run_dbt(request: dict[str, Any], fds: list[int]) -> int:
    """In the forked child: become the dbt command the client asked for."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    signal.signal(signal.SIGINT, signal.default_int_handler)  # dbt stops on KeyboardInterrupt
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # Python's own streams were bound to the server's log at start; dbt writes its events to
    # sys.stdout line by line, which dagster-dbt reads as they come.
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
    sys.argv = ["dbt", *request["args"]]
    from dbt.cli.main import cli

    try:
        cli.main(args=request["args"], prog_name="dbt")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _watch(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """In the forked watcher: start the dbt child, tell the client its pid, then its exit code;
    if the client is gone first, the child is killed."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        conn.close()
        code = 1
        try:
            code = _run_dbt(request, fds)
        finally:
            os._exit(code)
    for fd in fds:
        os.close(fd)
    _send(conn, {"pid": pid})
    child = os.pidfd_open(pid)
    while True:
        ready, _, _ = select.select([conn, child], [], [])
        if child in ready:
            _, status = os.waitpid(pid, 0)
            with contextlib.suppress(OSError):  # the client is gone: nobody to tell
                _send(conn, {"exit_code": _exit_code(status)})
            return
        if not conn.recv(1):  # the client went away: nobody waits for this command any more
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + KILL_GRACE_S
            while time.monotonic() < deadline:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    return
                time.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return


def serve(path: Path) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # watchers are reaped by the kernel
    loaded = preload()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_mask = os.umask(0o177)  # the socket runs any dbt command: its owner's only
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_mask)
    listener.listen(16)
    print(f"dbt server ready on {path}; preloaded {', '.join(loaded)}", flush=True)
    while True:
        conn, _ = listener.accept()
        conn.settimeout(10)  # a client that connects and says nothing does not stall the rest
        try:
            received = _read_request(conn)
        except (OSError, ValueError) as exc:
            print(f"refused a request: {exc}", flush=True)
            conn.close()
            continue
        if received is None:
            conn.close()
            continue
        request, fds = received
        conn.settimeout(None)
        if os.fork() == 0:
            listener.close()
            try:
                _watch(conn, request, fds)
            finally:
                os._exit(0)
        conn.close()
        for fd in fds:
            os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", type=Path, required=True, help="the Unix socket to serve on")
    serve(parser.parse_args().socket)


if __name__ == "__main__":
    main()
