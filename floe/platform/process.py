"""A service process we own: started detached, tracked by a pid file, stopped by pid only."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from floe.errors import ServiceStartError

HealthCheck = Callable[[], bool]
# Set in each service's environment: the pid file that tracks it.
SERVICE_MARK = "FLOE_SERVICE_PID_FILE"


@dataclass
class ServiceProcess:
    """One long-running program of the platform."""

    name: str
    command: list[str]
    run_dir: Path
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    user: str | None = None
    health: HealthCheck | None = None

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid from our pid file, if that process is still alive and is still ours."""
        if not self.pid_file.is_file():
            return None
        try:
            pid = int(self.pid_file.read_text().split()[0])
            proc = psutil.Process(pid)
            started = float(self.pid_file.read_text().split()[1])
        except (ValueError, IndexError, psutil.NoSuchProcess):
            return None
        # A reused pid belongs to a process that started after ours did.
        if abs(proc.create_time() - started) > 1 or proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return pid

    def start(self) -> int:
        running = self.pid() or self._adopt()
        if running:
            return running
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**self.env, SERVICE_MARK: str(self.pid_file)},
                cwd=self.cwd,
                start_new_session=True,  # survives the CLI that started it
                **drop_to(self.user),
            )
        self._write_pid(psutil.Process(proc.pid))
        return proc.pid

    def _write_pid(self, proc: psutil.Process) -> None:
        self.pid_file.write_text(f"{proc.pid} {proc.create_time()}\n")

    def _adopt(self) -> int | None:
        """A process of ours that has no pid file: the CLI that started it died before writing
        one. It carries our pid file's path in its environment; without adopting it, a second
        copy would start beside it and nothing would ever stop the first."""
        if not self.command:
            return None
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if proc.info["cmdline"] != self.command:
                    continue
                if proc.environ().get(SERVICE_MARK) != str(self.pid_file):
                    continue
            except psutil.Error:
                continue
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._write_pid(proc)
            return int(proc.pid)
        return None

    def healthy(self) -> bool:
        return self.pid() is not None and (self.health is None or self.health())

    def wait_healthy(self, timeout: float, on_wait: Callable[[], None] | None = None) -> float:
        """Block until the health check passes; fail early if the process died."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.pid() is None:
                raise ServiceStartError(
                    f"{self.name} exited during start-up",
                    hint=f"see the last lines of {self.log_file}",
                )
            if self.health is None or self.health():
                return time.monotonic() - start
            if on_wait:
                on_wait()
            time.sleep(0.25)
        raise ServiceStartError(
            f"{self.name} did not become healthy within {timeout:.0f}s",
            hint=f"see {self.log_file}",
        )

    def stop(self, timeout: float = 20, children: bool = True) -> bool:
        """SIGTERM the process and (``children``) its descendants, then SIGKILL what is left.
        True if it ran."""
        pid = self.pid() or self._adopt()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        try:
            proc = psutil.Process(pid)
            family = [proc, *(proc.children(recursive=True) if children else [])]
        except psutil.NoSuchProcess:
            family = []
        for p in family:
            try:
                p.send_signal(signal.SIGTERM)
            except psutil.NoSuchProcess:
                continue
        _, alive = psutil.wait_procs(family, timeout=timeout)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                continue
        psutil.wait_procs(alive, timeout=5)
        self.pid_file.unlink(missing_ok=True)
        return True


def drop_to(user: str | None) -> dict[str, Any]:
    """Run as ``user`` with its own group only: root's group must not leak into the child."""
    if user is None:
        return {}
    import pwd

    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def tail(path: Path, lines: int = 15) -> str:
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def base_env() -> dict[str, str]:
    """The environment services inherit: ours, minus anything pointing at another platform."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "FLOE_"))}
