"""Platform and pipeline benchmarks, on a private platform started for the benchmark.

- platform up: seconds until every service is healthy (cold: fresh home);
- demo: compile + platform up + three products run through Dagster, wall time;
- orchestrated vs bare: the same product run through Dagster (launch to SUCCESS) against a bare
  ``dbt build`` of the same project with the same profile, medians and their ratio;
- trace latency: from the run reported finished to its root span found in the trace store;
- memory: summed RSS of the platform's processes after the demo and after ten further runs;
- scale: the demo pipelines at FLOE_DEMO_SEED_SCALE 10 and 100, wall time per product, and at
  100 the orchestrated run against a bare ``dbt build`` again, the fixed cost then amortised.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from floe.artifact.models import CompiledArtifacts
from floe.demo.runner import PRODUCTS, run_demo
from floe.observability.tracing import format_trace_id, trace_id_for_run
from floe.platform import runs
from floe.platform.local import LocalPlatform
from floe.platform.settings import load

PORT_OFFSET = 500


def _dbt_build(project: Path, profiles: Path, profile: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "build",
            "--profiles-dir",
            str(profiles),
            "--profile",
            profile,
            "--target",
            "floe",
            "--target-path",
            str(profiles / "bench-target"),
            "--log-path",
            str(profiles / "bench-logs"),
        ],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def _bare_build(out: Path, compiled: CompiledArtifacts, env: dict[str, str]) -> float:
    product = compiled.product.name
    return _dbt_build(
        out / product / compiled.dbt.project_dir, out / product, compiled.dbt.profile_name, env
    )


def _versus(product: str, orchestrated: list[float], bare: list[float]) -> dict[str, Any]:
    o, b = statistics.median(orchestrated), statistics.median(bare)
    return {
        "product": product,
        "orchestrated_median_s": round(o, 2),
        "bare_dbt_build_median_s": round(b, 2),
        "added_s": round(o - b, 2),
        "ratio": round(o / b, 2),
        "orchestrated_runs_s": [round(x, 2) for x in orchestrated],
        "bare_runs_s": [round(x, 2) for x in bare],
    }


def _trace_visible(platform: LocalPlatform, product: str, run_id: str) -> float:
    """Seconds from the run being reported finished until its root span is in the trace store
    (SC-004): the time an operator waits before the trace can be found by service name."""
    start = time.perf_counter()
    url = (
        f"{platform.settings.url('phoenix')}/v1/projects/floe-{product}/spans/otlpv1"
        f"?trace_id={format_trace_id(trace_id_for_run(run_id))}&parent_id=null"
    )
    while time.perf_counter() - start < 60:
        resp = requests.get(url, timeout=5)
        if resp.status_code == 200 and resp.json()["data"]:
            return time.perf_counter() - start
        time.sleep(0.1)
    raise RuntimeError(f"the trace of run {run_id} did not reach the trace store within 60 s")


def _timed_run(platform: LocalPlatform, compiled: CompiledArtifacts) -> tuple[float, str]:
    """One run through Dagster, launch to SUCCESS: (seconds, run id)."""
    start = time.perf_counter()
    run_id = runs.launch(platform.settings, compiled, lambda _: None)
    result = runs.wait(platform.settings, run_id, 1800, lambda _: None)
    assert result.status == "SUCCESS", result.errors
    return time.perf_counter() - start, run_id


def _run_workers(platform: LocalPlatform) -> int:
    """Run workers still alive: those forked by the code servers' forkservers (the forkserver
    and multiprocessing's resource tracker live as long as their server)."""
    import psutil

    from floe.runtime.code_server import FORKSERVER_MARK

    alive = 0
    for svc in platform.status():
        if svc.pid is not None and svc.name.startswith("code-server"):
            try:
                for child in psutil.Process(svc.pid).children():
                    if FORKSERVER_MARK in " ".join(child.cmdline()):
                        alive += len(child.children(recursive=True))
            except psutil.Error:
                continue
    return alive


def platform_memory(platform: LocalPlatform, settle_s: float = 60) -> dict[str, Any]:
    """Resident memory per service, its child processes included (a run worker is a child of
    its product's code server), in MB, and the sum. A run worker exits some seconds after its
    run reports SUCCESS; measured while it lingers, its code server would count twice its
    size, so the measure waits (up to ``settle_s``) for the workers to be gone."""
    import psutil

    deadline = time.monotonic() + settle_s
    while _run_workers(platform) and time.monotonic() < deadline:
        time.sleep(1)
    per_service: dict[str, float] = {}
    for svc in platform.status():
        if svc.pid is None:
            continue
        try:
            root = psutil.Process(svc.pid)
            procs = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in procs if p.is_running())
        except psutil.Error:
            continue
        per_service[svc.name] = round(rss / 2**20, 1)
    return {
        "per_service_mb": per_service,
        "total_mb": round(sum(per_service.values()), 1),
        "run_workers_alive": _run_workers(platform),
    }


def _compute_swap(
    demo: Path,
    out: Path,
    platform: LocalPlatform,
    product: str,
    duckdb_runs: list[float],
    repeats: int,
) -> dict[str, Any]:
    """The same product with ``compute: spark`` (its floe.yaml changed in that one key), run
    through Dagster as many times as on DuckDB: launch to SUCCESS, medians side by side."""
    import shutil

    import yaml

    from floe.compiler import compile_pipeline

    copy_root = out.parent / "products-spark"
    copy = copy_root / f"{product}-spark"
    shutil.rmtree(copy_root, ignore_errors=True)
    shutil.copytree(demo / product, copy, ignore=shutil.ignore_patterns("target", "logs"))
    spec = yaml.safe_load((copy / "floe.yaml").read_text(encoding="utf-8"))
    spec["metadata"]["name"] = copy.name
    spec["compute"] = "spark"
    (copy / "floe.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    compiled = compile_pipeline(copy, manifest=demo / "manifest.yaml", output_dir=out).artifacts
    spark_runs = [_timed_run(platform, compiled)[0] for _ in range(repeats)]
    return {
        "product": product,
        "duckdb_median_s": round(statistics.median(duckdb_runs), 2),
        "spark_median_s": round(statistics.median(spark_runs), 2),
        "spark_over_duckdb": round(
            statistics.median(spark_runs) / statistics.median(duckdb_runs), 2
        ),
        "spark_runs_s": [round(x, 2) for x in spark_runs],
        "runs": repeats,
    }


def bench_pipeline(
    demo: Path, repeats: int = 3, scales: tuple[float, ...] = (10, 100)
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="floe-bench-home-") as tmp:
        home = Path(tmp)
        # Triggers off: no schedule or sensor run may overlap a measured one.
        settings = load(home, PORT_OFFSET, triggers=False)
        out = home / "build"
        try:
            summary = run_demo(demo, out, settings, 1.0, lambda _: None)
            platform = LocalPlatform(load(home))
            results["platform_up_cold_s"] = summary.seconds["platform_up"]
            results["demo_wall_s"] = summary.seconds["total"]
            results["demo_status"] = {p: r.status for p, r in summary.results.items()}
            results["memory_after_demo"] = platform_memory(platform)
            env = {**os.environ, **platform.env()}
            os.environ.update(platform.env())
            product = "customer-360"
            compiled = runs.load_artifact(out, product)
            orchestrated, bare, trace_latency = [], [], []
            for _ in range(repeats):
                seconds, run_id = _timed_run(platform, compiled)
                orchestrated.append(seconds)
                trace_latency.append(_trace_visible(platform, product, run_id))
                bare.append(_bare_build(out, compiled, env))
            results["orchestrated_vs_bare"] = _versus(product, orchestrated, bare)
            for _ in range(10 - repeats):
                _timed_run(platform, compiled)
            results["memory_after_runs"] = {"runs": 10, **platform_memory(platform)}
            results["compute_swap"] = _compute_swap(
                demo, out, platform, product, orchestrated, repeats
            )
            results["trace_visible_after_run_end_s"] = {
                "median": round(statistics.median(trace_latency), 2),
                "max": round(max(trace_latency), 2),
                "runs": repeats,
                "budget_s": 5,
            }
            platform.down()
            start = time.perf_counter()
            results["platform_up_warm_s"] = platform.up()["total"]
            results["platform_up_warm_wall_s"] = round(time.perf_counter() - start, 2)
            for scale in scales:
                # Same output folder: the running workspace picks up the recompiled products.
                scaled = run_demo(demo, out, platform.settings, scale, lambda _: None)
                results[f"scale_{scale:g}x"] = {
                    "wall_s": scaled.seconds["total"],
                    "runs": {
                        p: {
                            "status": r.status,
                            "seconds": r.seconds,
                            "rows": sum(r.row_counts.values()),
                        }
                        for p, r in scaled.results.items()
                    },
                }
            big = runs.load_artifact(out, product)  # compiled from the 100x seeds last
            orchestrated = [_timed_run(platform, big)[0] for _ in range(repeats)]
            bare = [_bare_build(out, big, env) for _ in range(repeats)]
            results[f"scale_{scales[-1]:g}x_orchestrated_vs_bare"] = _versus(
                product, orchestrated, bare
            )
        finally:
            # Also when the demo itself was interrupted: whatever it started stops.
            LocalPlatform(load(home)).down(purge=True)
    results["products"] = list(PRODUCTS)
    return results
