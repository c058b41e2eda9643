"""The live demo: seed, compile, start the platform and run the three products through it."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from opentelemetry import trace

from floe.compiler import compile_pipeline
from floe.demo.seeds import GENERATORS, write_seeds
from floe.observability import tracing
from floe.platform import runs
from floe.platform.dagster_client import DagsterClient, RunResult
from floe.platform.local import LocalPlatform
from floe.platform.settings import PlatformSettings

PRODUCTS = tuple(GENERATORS)
DEMO_SERVICE = "floe-demo"  # the trace store's project of the demo's own trace


@dataclass
class DemoSummary:
    seconds: dict[str, float] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    results: dict[str, RunResult] = field(default_factory=dict)
    trace_id: str = ""


def demo_source(demo_dir: Path, home: Path, scale: float) -> Path:
    """The committed demo at scale 1; a scaled copy under the platform home otherwise, so the
    repository's seed files stay as committed."""
    if scale == 1:
        return demo_dir
    target = home / f"demo-x{scale:g}"
    if not target.is_dir():
        shutil.copytree(demo_dir, target, ignore=shutil.ignore_patterns("target", "logs"))
    for product in PRODUCTS:
        write_seeds(product, target / product / "seeds", scale)
    return target


def _start_triggers(
    settings: PlatformSettings, output_dir: Path, progress: Callable[[str], None]
) -> None:
    """From now on the products run on their schedules and sensors, and a restarted platform
    keeps them running (the setting is saved)."""
    settings.save()
    client = DagsterClient(settings.url("dagster"))
    for product in PRODUCTS:
        location = runs.load_artifact(output_dir, product).orchestration.code_location
        started = client.start_triggers(location)
        progress(f"{product}: started {', '.join(sorted(started)) or 'no new trigger'}")


def run_demo(
    demo_dir: Path,
    output_dir: Path,
    settings: PlatformSettings,
    scale: float,
    progress: Callable[[str], None],
) -> DemoSummary:
    summary = DemoSummary()
    start = time.monotonic()
    source = demo_source(demo_dir, settings.home, scale)
    progress(f"compiling {len(PRODUCTS)} products")
    for product in PRODUCTS:
        result = compile_pipeline(source / product, output_dir=output_dir)
        summary.models[product] = len(result.artifacts.models)
    summary.seconds["compile"] = round(time.monotonic() - start, 2)
    manifest = source / "manifest.yaml"
    served = settings.model_copy(
        update={
            "workspace": output_dir.resolve() / "workspace.yaml",
            "manifest": manifest.resolve(),
            "manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
        }
    )
    # The demo's runs are the products' first runs: with the schedules and sensors already
    # running, the first-run sensor would start a second run of each product beside the demo's,
    # six runs on the machine at once. They start once the demo's runs are done.
    platform = LocalPlatform(served.model_copy(update={"triggers": False}))
    try:
        summary.seconds["platform_up"] = platform.up(progress)["total"]
        for key, value in platform.env().items():
            os.environ.setdefault(key, value)
        # One demo trace ties the three product traces together: each run is tagged with the
        # demo span's traceparent, links its own root span to it and names its trace id.
        tracing.install(DEMO_SERVICE, platform.settings.url("otlp_http"))
        demo_span = tracing.tracer("floe.demo").start_span(
            "demo.run", attributes={"floe.products": list(PRODUCTS), "floe.seed_scale": scale}
        )
        summary.trace_id = tracing.format_trace_id(demo_span.get_span_context().trace_id)
        tags = {tracing.TRACEPARENT_TAG: tracing.traceparent(demo_span)}
        launched = {}
        for product in PRODUCTS:
            progress(f"launching {product}")
            launched[product] = runs.launch(
                platform.settings, runs.load_artifact(output_dir, product), progress, tags=tags
            )
        parent = trace.set_span_in_context(demo_span)
        for product, run_id in launched.items():

            def show(r: RunResult, p: str = product) -> None:
                progress(f"{p}: {r.status.lower()}, {len(r.materialized)} tables written")

            finished = runs.wait(platform.settings, run_id, 1800, show)
            summary.results[product] = finished
            child = tracing.tracer("floe.demo").start_span(
                f"demo.product {product}",
                context=parent,
                attributes={
                    "floe.product": product,
                    "floe.run_id": run_id,
                    "floe.run.trace_id": tracing.format_trace_id(tracing.trace_id_for_run(run_id)),
                    "floe.run.status": finished.status,
                },
            )
            child.end()
        demo_span.end()
        tracing.flush()
    except BaseException:
        # Interrupted or failed: the platform keeps running with its triggers stopped, but the
        # user's choice is saved, so a restarted platform runs them again.
        if settings.triggers:
            served.save()
        raise
    if settings.triggers:
        _start_triggers(served, output_dir, progress)
    summary.seconds["total"] = round(time.monotonic() - start, 2)
    return summary
