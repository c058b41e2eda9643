"""Compile time per demo product, as a user sees it (the ``floe`` CLI in a fresh process).

- cold: empty parse cache, so the compile pays one dbt parse;
- warm: nothing changed, so the compile cache answers without compiling;
- recompile: ``--no-cache``, every stage runs but dbt's parse is served from its cache;
- baseline: a bare ``dbt parse`` of the same project in the same command, for the ratio.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PRODUCTS = ("customer-360", "iot-telemetry", "financial-risk")


def _timed(args: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, cwd=cwd, capture_output=True)
    return time.perf_counter() - start


def bench_compile(demo: Path, cold_runs: int = 3, warm_runs: int = 5) -> dict[str, Any]:
    bindir = Path(sys.executable).parent
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="floe-bench-") as tmp:
        work = Path(tmp)
        profiles = work / "profiles"
        profiles.mkdir()
        (profiles / "profiles.yml").write_text(
            "bench:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n      path: ':memory:'\n"
        )
        for product in PRODUCTS:
            cmd = [str(bindir / "floe"), "compile", str(demo / product), "-o", str(work / "out")]
            cold, warm = [], []
            for i in range(cold_runs):
                cache = work / f"cache-{product}-{i}"
                cold.append(_timed(cmd, {**os.environ, "FLOE_CACHE_DIR": str(cache)}))
            warm_env = {**os.environ, "FLOE_CACHE_DIR": str(work / f"cache-{product}-0")}
            warm = [_timed(cmd, warm_env) for _ in range(warm_runs)]
            recompile = [_timed([*cmd, "--no-cache"], warm_env) for _ in range(cold_runs)]
            parse = []
            for _ in range(cold_runs):
                copy = work / "dbt" / product
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(demo / product, copy, ignore=shutil.ignore_patterns("target"))
                parse.append(
                    _timed(
                        [
                            str(bindir / "dbt"),
                            "parse",
                            "--no-partial-parse",
                            "--profiles-dir",
                            str(profiles),
                            "--profile",
                            "bench",
                        ],
                        {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
                        cwd=copy,
                    )
                )
            results[product] = {
                "cold_median_s": round(statistics.median(cold), 3),
                "warm_median_s": round(statistics.median(warm), 3),
                "recompile_median_s": round(statistics.median(recompile), 3),
                "bare_dbt_parse_median_s": round(statistics.median(parse), 3),
                "warm_vs_dbt_parse_ratio": round(
                    statistics.median(warm) / statistics.median(parse), 3
                ),
                "runs": {
                    "cold": cold_runs,
                    "warm": warm_runs,
                    "recompile": cold_runs,
                    "dbt_parse": cold_runs,
                },
            }
    return results
