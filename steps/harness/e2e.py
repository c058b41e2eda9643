"""`make e2e`: every feature in dependency order, each in a pytest process of its own.

Each process starts its own platform (a fresh home, catalog, Dagster instance and PostgreSQL) and
purges it at the end, so no feature sees another's tables, runs or lineage. After each feature
this runner checks that nothing of it is left: no process started from that feature's folder
still runs. Scenarios inside a feature run in random order when asked (pytest-randomly; the seed
is printed so a failing order can be replayed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
# Dependency order: what a feature relies on is proven by the features before it (the compiler
# before the platform runs what it compiled, a run before what observes or governs runs, ...).
ORDER = [
    "platform_bootstrap",
    "compilation",
    "data_pipeline",
    "observability",
    "plugin_system",
    "governance",
    "platform_chart",
    "schema_evolution",
    "lifecycle",
    "promotion",
    "demo_mode",
    # Last: it runs this runner itself on two features and checks their teardown.
    "acceptance_suite",
]


def leftovers(folder: Path) -> list[str]:
    """Processes whose command line points into ``folder``: a platform that was not torn down."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(folder) in cmdline:
            found.append(f"{proc.info['pid']}: {cmdline[:120]}")
    return found


def run_feature(name: str, mark: str, seed: int | None, allure_dir: Path, work: Path) -> dict:
    basetemp = work / name
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "features" / f"test_{name}_bdd.py"),
        "-m",
        mark,
        f"--basetemp={basetemp}",
        f"--alluredir={allure_dir}",
    ]
    command += [f"--randomly-seed={seed}"] if seed is not None else ["-p", "no:randomly"]
    started = time.monotonic()
    code = subprocess.run(command, cwd=ROOT, check=False).returncode
    seconds = time.monotonic() - started
    left = leftovers(basetemp)
    return {"feature": name, "exit_code": code, "seconds": round(seconds, 1), "leftovers": left}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mark", default="not k8s", help="pytest -m expression (the target)")
    parser.add_argument("--random", action="store_true", help="scenarios in random order")
    parser.add_argument("--seed", type=int, help="replay a random order")
    parser.add_argument("--allure-dir", type=Path, default=ROOT / "reports" / "allure-results")
    parser.add_argument("--report", type=Path, default=ROOT / "reports" / "e2e-runs.json")
    parser.add_argument("features", nargs="*", help="a subset, still run in dependency order")
    args = parser.parse_args(argv)
    unknown = set(args.features) - set(ORDER)
    if unknown:
        parser.error(f"unknown features: {', '.join(sorted(unknown))} (known: {', '.join(ORDER)})")
    seed = args.seed
    if seed is None and args.random:
        seed = random.randrange(1, 10**6)
    work = Path(os.environ.get("FLOE_E2E_WORK", "/tmp/floe-e2e")) / str(os.getpid())
    work.mkdir(parents=True, exist_ok=True)  # pytest makes --basetemp, not its parents
    chosen = [f for f in ORDER if not args.features or f in args.features]
    order = f", scenarios in random order (seed {seed})" if seed is not None else ""
    print(f"e2e: {len(chosen)} features in dependency order{order}")
    results = []
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        results.append(run_feature(name, args.mark, seed, args.allure_dir, work))
    failed = [r for r in results if r["exit_code"] not in (0, 5) or r["leftovers"]]
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"seed": seed, "features": results}, indent=2) + "\n")
    print("\n feature              exit   seconds  torn down")
    for r in results:
        torn = "yes" if not r["leftovers"] else f"NO: {len(r['leftovers'])} processes left"
        print(f" {r['feature']:<20} {r['exit_code']:>4} {r['seconds']:>9.1f}  {torn}")
        for line in r["leftovers"]:
            print(f"    left running: {line}")
    total = sum(r["seconds"] for r in results)
    print(f" {'total':<20} {'':>4} {total:>9.1f}")
    if seed is not None:
        print(f"random order seed {seed}: replay with 'make e2e E2E_SEED={seed}'")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
