"""python -m floe.bench --output reports/bench.json"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
from pathlib import Path
from typing import Any

from floe.bench import targets
from floe.bench.compile import bench_compile
from floe.bench.fresh_clone import bench_fresh_clone
from floe.bench.pipeline import bench_pipeline


def _exit_on_term(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    # A benchmark stopped by `timeout` or a CI runner gets SIGTERM: leaving through SystemExit
    # runs the `finally` that stops its private platform, which would otherwise keep running.
    signal.signal(signal.SIGTERM, _exit_on_term)
    parser = argparse.ArgumentParser(description="floe benchmarks")
    parser.add_argument("--output", type=Path, default=Path("reports/bench.json"))
    parser.add_argument("--demo", type=Path, default=Path("demo"))
    parser.add_argument("--only", choices=["compile", "pipeline"], default=None)
    parser.add_argument(
        "--fresh-clone",
        action="store_true",
        help="also time 'make demo' in a fresh clone of this repository, setup included",
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    if args.only in (None, "compile"):
        results["compile"] = bench_compile(args.demo)
    if args.only in (None, "pipeline"):
        results["pipeline"] = bench_pipeline(args.demo.resolve())
    if args.fresh_clone:
        results["fresh_clone"] = bench_fresh_clone(Path.cwd())
    results["targets"] = targets.judge(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for product, r in results.get("compile", {}).items():
        print(
            f"compile {product:15s} cold {r['cold_median_s']:6.2f}s  "
            f"warm {r['warm_median_s']:5.2f}s  recompile {r['recompile_median_s']:5.2f}s"
            f"  bare dbt parse {r['bare_dbt_parse_median_s']:5.2f}s  "
            f"warm/parse {r['warm_vs_dbt_parse_ratio']:.2f}"
        )
    if "pipeline" in results:
        print(json.dumps(results["pipeline"], indent=2))
    print(targets.table(results["targets"]))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
