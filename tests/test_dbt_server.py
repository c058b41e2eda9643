"""The warm dbt server answers a dbt command as the dbt executable would: same output, same exit
code, and no dbt left running once the command's caller is gone."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from floe.runtime.dbt_client import SOCKET_ENV

BIN = Path(sys.executable).parent
SLOW_MODEL = "select count(*) as n from range(100000000000) t(i) where i % 7 = 3"


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the dbt server exited with {proc.returncode}"
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
            return
        except OSError:
            time.sleep(0.2)
        finally:
            probe.close()
    raise AssertionError(f"the dbt server did not listen on {path} within {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("dbt-server") / "dbt.sock"
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "floe.runtime.dbt_server", "--socket", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(path, proc)
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _run(
    command: str, args: list[str], socket_path: Path | None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != SOCKET_ENV}
    if socket_path is not None:
        env[SOCKET_ENV] = str(socket_path)
    return subprocess.run(
        [str(BIN / command), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def test_version_and_exit_code_match_the_dbt_executable(server: Path) -> None:
    plain = _run("dbt", ["--version"], None)
    served = _run("floe-dbt", ["--version"], server)
    assert (served.returncode, plain.returncode) == (0, 0)
    assert "Core:" in served.stdout
    assert served.stdout.splitlines()[:3] == plain.stdout.splitlines()[:3]


def test_an_unknown_command_fails_with_dbts_own_error_and_exit_code(server: Path) -> None:
    plain = _run("dbt", ["no-such-command"], None)
    served = _run("floe-dbt", ["no-such-command"], server)
    assert served.returncode == plain.returncode == 2
    assert "No such command 'no-such-command'" in served.stderr
    assert served.stderr == plain.stderr


def test_without_a_server_floe_dbt_is_the_dbt_executable(tmp_path: Path) -> None:
    served = _run("floe-dbt", ["--version"], tmp_path / "nobody-listens.sock")
    assert served.returncode == 0
    plain = _run("dbt", ["--version"], None)
    assert served.stdout.splitlines()[:3] == plain.stdout.splitlines()[:3]


def _slow_project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text(
        "name: slow\nversion: '1.0'\nprofile: slow\nconfig-version: 2\n", encoding="utf-8"
    )
    (root / "profiles.yml").write_text(
        f"slow:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {root / 'slow.duckdb'}\n      threads: 1\n",
        encoding="utf-8",
    )
    (root / "models" / "slow.sql").write_text(SLOW_MODEL, encoding="utf-8")
    return root


def _dbt_child(client: psutil.Process, server: Path, timeout: float = 120) -> psutil.Process:
    """The forked dbt running the client's command: the server's one process whose working
    directory is the command's project."""
    deadline = time.monotonic() + timeout
    project = Path(client.cwd())
    while time.monotonic() < deadline:
        for proc in psutil.process_iter(["cmdline", "cwd"]):
            if (
                proc.info["cwd"] == str(project)
                and proc.pid != client.pid
                and "floe.runtime.dbt_server" in " ".join(proc.info["cmdline"] or [])
            ):
                return proc
        time.sleep(0.2)
    raise AssertionError(f"no dbt child of {server} runs in {project}")


def _slow_run(server: Path, tmp_path: Path) -> tuple[subprocess.Popen[str], psutil.Process]:
    """``floe-dbt run`` of the slow project through the server: (client, its dbt child)."""
    project = _slow_project(tmp_path / "slow")
    client = subprocess.Popen(
        [str(BIN / "floe-dbt"), "run", "--profiles-dir", str(project)],
        cwd=project,
        env={**os.environ, SOCKET_ENV: str(server)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return client, _dbt_child(psutil.Process(client.pid), server)


def test_a_killed_client_leaves_no_dbt_running(server: Path, tmp_path: Path) -> None:
    client, child = _slow_run(server, tmp_path)
    client.send_signal(signal.SIGKILL)
    client.wait(timeout=10)
    gone, alive = psutil.wait_procs([child], timeout=15)
    assert [p.pid for p in gone] == [child.pid], f"dbt (pid {child.pid}) still runs: {alive}"


def test_sigint_reaches_dbt_which_stops_with_its_interrupt_code(
    server: Path, tmp_path: Path
) -> None:
    client, child = _slow_run(server, tmp_path)
    time.sleep(2)  # into the model's query
    client.send_signal(signal.SIGINT)
    out, _ = client.communicate(timeout=60)
    assert client.returncode == 2, out[-2000:]
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
