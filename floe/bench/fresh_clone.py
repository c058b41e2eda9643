"""``make demo`` in a fresh clone of this repository, setup included, as a new user runs it.

The clone gets a platform home of its own on other ports (so a running platform is left
alone) and is stopped and deleted afterwards. Packages come from the machine's package cache
when it has them, as they would on a machine that installed anything before.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

PORT_OFFSET = 600


def bench_fresh_clone(repo: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="floe-bench-clone-") as tmp:
        clone, home = Path(tmp) / "floe", Path(tmp) / "home"
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
        home.mkdir(mode=0o700)
        (home / "platform.json").write_text(
            json.dumps({"home": str(home), "port_offset": PORT_OFFSET})
        )
        env = {**os.environ, "FLOE_HOME": str(home)}
        env.pop("VIRTUAL_ENV", None)
        start = time.perf_counter()
        done = subprocess.run(["make", "demo"], cwd=clone, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        subprocess.run(
            [str(clone / ".venv/bin/floe"), "platform", "down", "--purge", "--home", str(home)],
            env=env,
            capture_output=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"make demo failed in a fresh clone:\n{done.stdout[-2000:]}")
        return {"make_demo_s": round(seconds, 2), "port_offset": PORT_OFFSET}
