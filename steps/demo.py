"""Steps of US8: `floe demo run`, the command `make demo` calls, on a platform of its own, read
back through that platform's Iceberg catalog, Dagster's GraphQL API and headless Chromium."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import allure
import pytest
import requests
from pytest_bdd import given, parsers, then, when

from floe.observability.tracing import format_trace_id, trace_id_for_run
from floe.platform import runs
from floe.platform.dagster_client import DagsterClient
from floe.platform.local import LocalPlatform
from floe.platform.observability_services import DASHBOARDS
from floe.platform.settings import PlatformSettings, load
from floe.runtime.iceberg import open_catalog
from steps.common import DEMO, PRODUCTS, ROOT, CommandResult
from steps.compiler import _run
from steps.harness.browser import drawn_graph, render
from steps.observability import _attr
from steps.platform import PORT_OFFSET, wait_until

# Far enough from the session platform's ports (and its code servers) that both run at once.
DEMO_OFFSET = PORT_OFFSET + 1700
SPEC_LIMIT_SECONDS = 600  # FR-088: end to end within 10 minutes
GOLD_ROW = re.compile(r"(gold_[a-z0-9_]+)=(\d+)")


@dataclass
class DemoRun:
    settings: PlatformSettings
    output_dir: Path
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    opened: list[str]  # pages the demo asked the desktop's browser to open

    def env(self) -> dict[str, str]:
        return LocalPlatform(self.settings).env()


def _clean_env(home: Path) -> dict[str, str]:
    """The session platform's variables stay out: the demo must find its own platform."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "DAGSTER_"))}
    env["FLOE_HOME"] = str(home)
    return env


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    home = tmp_path_factory.mktemp("floe-demo-home")
    load(home, DEMO_OFFSET).save()  # a fresh home on ports of its own
    output_dir = home / "build"
    # The desktop's browser, as Python's webbrowser finds it through BROWSER: one that notes
    # each page it is asked to open.
    opened = home / "opened.txt"
    browser = home / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> "{opened}"\n', encoding="utf-8")
    browser.chmod(0o755)
    command = [
        str(Path(sys.executable).parent / "floe"),
        "demo",
        "run",
        "--demo-dir",
        str(DEMO),
        "--output-dir",
        str(output_dir),
        "--open",
    ]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            command,
            cwd=ROOT,
            env={**_clean_env(home), "BROWSER": str(browser)},
            capture_output=True,
            text=True,
            timeout=2 * SPEC_LIMIT_SECONDS,
            check=False,
        )
        seconds = time.monotonic() - started
        pages = opened.read_text(encoding="utf-8").split() if opened.exists() else []
        yield DemoRun(
            load(home), output_dir, proc.returncode, proc.stdout, proc.stderr, seconds, pages
        )
    finally:
        LocalPlatform(load(home)).down(purge=True)


def _gold_rows(stdout: str) -> dict[str, dict[str, int]]:
    """Per product, the gold tables and row counts of the demo's summary table."""
    found: dict[str, dict[str, int]] = {}
    for line in stdout.splitlines():
        product = next((p for p in PRODUCTS if f" {p} " in f" {line} "), None)
        if product and "SUCCESS" in line:
            found[product] = {t: int(n) for t, n in GOLD_ROW.findall(line)}
    return found


## Given


@given(
    '"floe demo run" has run, as make demo runs it, on a fresh platform of its own',
    target_fixture="demo",
)
def demo_has_run(demo_run: DemoRun) -> DemoRun:
    return demo_run


@given("a copy of the demo's three products", target_fixture="demo_copy")
def demo_folder_copy(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("target", "logs"))
    return target


## When


@when(
    parsers.parse("floe demo seed runs on the copy with FLOE_DEMO_SEED_SCALE set to {scale:d}"),
    target_fixture="command",
)
def demo_seed(demo_copy: Path, scale: int) -> CommandResult:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FLOE_DEMO_SEED_SCALE", str(scale))
        return _run(["demo", "seed", "--demo-dir", str(demo_copy)])


@when("Dagster's GraphQL API of that platform lists its asset nodes", target_fixture="assets")
def asset_nodes(demo: DemoRun) -> list[dict[str, Any]]:
    query = (
        "{ assetNodes { assetKey { path } groupName dependencyKeys { path } tags { key value } } }"
    )
    response = requests.post(
        f"{demo.settings.url('dagster')}/graphql", json={"query": query}, timeout=60
    )
    assert response.status_code == 200, response.text
    return list(response.json()["data"]["assetNodes"])


@when(
    parsers.parse(
        "the trace store of that platform is asked for the demo trace its output names, in the "
        'project "{project}"'
    ),
    target_fixture="demo_trace",
)
def demo_trace(demo: DemoRun, project: str) -> dict[str, Any]:
    (trace_id,) = re.findall(r"demo trace:\s+([0-9a-f]{32})", demo.stdout)
    url = f"{demo.settings.url('phoenix')}/v1/projects/{project}/spans/otlpv1"

    def spans() -> list[dict[str, Any]]:
        resp = requests.get(url, params={"trace_id": trace_id, "limit": 100}, timeout=10)
        return list(resp.json()["data"]) if resp.status_code == 200 else []

    wait_until(lambda: len(spans()) == 1 + len(PRODUCTS), 30, f"the demo trace {trace_id}")
    return {"trace_id": trace_id, "spans": spans()}


## Then


@then("it exited with code 0 within the spec's 10 minutes, its measured time attached")
def within_limit(demo: DemoRun) -> None:
    allure.attach(
        f"floe demo run: {demo.seconds:.1f} s (limit {SPEC_LIMIT_SECONDS} s)\n\n{demo.stdout}",
        name="demo run time and output",
        attachment_type=allure.attachment_type.TEXT,
    )
    assert demo.exit_code == 0, demo.stdout + demo.stderr
    assert demo.seconds < SPEC_LIMIT_SECONDS, f"{demo.seconds:.0f} s"
    reported = re.search(r"demo finished in (\d+)s", demo.stdout)
    assert reported and int(reported.group(1)) <= demo.seconds + 1, demo.stdout


@then(
    parsers.parse('its output lists "{products}", each "{status}" with the rows of its gold tables')
)
def output_lists(demo: DemoRun, products: str, status: str) -> None:
    gold = _gold_rows(demo.stdout)
    assert sorted(gold) == sorted(products.split(", ")), demo.stdout
    for product, tables in gold.items():
        compiled = runs.load_artifact(demo.output_dir, product)
        expected = sorted(
            t.table.split(".", 1)[1] for t in compiled.transforms if t.layer == "gold"
        )
        assert sorted(tables) == expected, (product, tables)
        assert all(n > 0 for n in tables.values()), (product, tables)


@then(
    "each gold table holds, read back through the Iceberg REST catalog, the rows the output lists"
)
def gold_in_catalog(demo: DemoRun) -> None:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in demo.env().items():
            mp.setenv(key, value)
        for product, tables in _gold_rows(demo.stdout).items():
            compiled = runs.load_artifact(demo.output_dir, product)
            catalog = open_catalog(compiled)
            for table, rows in tables.items():
                scanned = catalog.load_table(f"{compiled.lakehouse.namespace}.{table}").scan()
                assert scanned.to_arrow().num_rows == rows, (product, table)


@then(
    "Dagster holds one run of each product's pipeline besides scheduled ones, the demo's own, "
    "and each product's schedules and sensors are running afterwards"
)
def one_run_each_then_triggers(demo: DemoRun) -> None:
    """The demo's runs are the products' first runs: the first-run sensor starts no second one
    beside them, and the schedules and sensors take over once the demo is done."""
    client = DagsterClient(demo.settings.url("dagster"))
    for product in PRODUCTS:
        compiled = runs.load_artifact(demo.output_dir, product)
        job = compiled.orchestration.job_name
        scheduled = set(client.runs_tagged("dagster/schedule_name", f"{job}_schedule"))
        demo_runs = [r for r in client.job_runs(job) if r not in scheduled]
        assert len(demo_runs) == 1, (product, demo_runs)
        assert client.runs_tagged("dagster/sensor_name", f"{job}_first_run") == [], product
        triggers = client.triggers(compiled.orchestration.code_location)
        assert sorted((t.name, t.status) for t in triggers) == sorted(
            (name, "RUNNING")
            for name in (
                f"{job}_schedule",
                f"{job}_maintenance_schedule",
                f"{job}_first_run",
                f"{job}_landing",
            )
        ), (product, triggers)


@then(parsers.parse('"{identifier}" holds one row per customer of the demo\'s seeds'))
def one_row_per_customer(demo: DemoRun, identifier: str) -> None:
    seeds = (DEMO / "customer-360" / "seeds" / "raw_customers.csv").read_text().splitlines()
    table = identifier.split(".", 1)[1]
    assert _gold_rows(demo.stdout)["customer-360"][table] == len(seeds) - 1


@then(
    "its output names the Dagster UI, the traces, the lineage graph and the metrics console of "
    "that platform, the desktop's browser was asked to open each, and each answers HTTP 200"
)
def output_urls(demo: DemoRun) -> None:
    s = demo.settings
    named = {}
    for label, url in (
        ("Dagster UI:", f"{s.url('dagster')}/asset-groups"),
        ("traces (Phoenix):", f"{s.url('phoenix')}/projects"),
        ("lineage graph:", f"{s.url('lineage')}/lineage?nodeId="),
        ("metrics (Prometheus):", f"{s.url('prometheus')}/consoles/floe-pipelines.html"),
    ):
        (line,) = [x for x in demo.stdout.splitlines() if x.strip().startswith(label)]
        (named[label],) = [w for w in line.split() if w.startswith(url)]
    assert demo.opened == list(named.values()), (demo.opened, named)
    for url in demo.opened:
        assert requests.get(url, timeout=30).status_code == 200, url


@then(parsers.parse('they form the asset groups "{groups}", one per product'))
def asset_groups(demo: DemoRun, assets: list[dict[str, Any]], groups: str) -> None:
    assert sorted({a["groupName"] for a in assets}) == groups.split(", ")
    for product in PRODUCTS:
        compiled = runs.load_artifact(demo.output_dir, product)
        mine = [a for a in assets if a["groupName"] == compiled.lakehouse.namespace]
        assert len(mine) == len(compiled.transforms), product
        assert {a["assetKey"]["path"][0] for a in mine} == {compiled.lakehouse.namespace}


def _layers(assets: list[dict[str, Any]]) -> dict[tuple[str, ...], str]:
    return {
        tuple(a["assetKey"]["path"]): next(t["value"] for t in a["tags"] if t["key"] == "layer")
        for a in assets
    }


@then(
    "in every group each gold asset is built, through silver assets, from bronze assets of the "
    "same group, and no asset depends on a layer above its own"
)
def medallion(assets: list[dict[str, Any]]) -> None:
    layer = _layers(assets)
    rank = {"bronze": 0, "silver": 1, "gold": 2}
    deps = {
        tuple(a["assetKey"]["path"]): [tuple(d["path"]) for d in a["dependencyKeys"]]
        for a in assets
    }

    def upstream_layers(key: tuple[str, ...]) -> set[str]:
        seen, todo = set(), list(deps[key])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(deps[node])
        return {layer[n] for n in seen}

    for group in {a["groupName"] for a in assets}:
        mine = [tuple(a["assetKey"]["path"]) for a in assets if a["groupName"] == group]
        gold = [k for k in mine if layer[k] == "gold"]
        silver = [k for k in mine if layer[k] == "silver"]
        assert gold and silver, group
        for key in gold:
            assert {"silver", "bronze"} <= upstream_layers(key), (group, key)
        for key in silver:
            assert "bronze" in upstream_layers(key) and "gold" not in upstream_layers(key), key
        for key in mine:
            assert all(d[0] == group for d in deps[key]), key
            assert all(rank[layer[d]] <= rank[layer[key]] for d in deps[key]), key


@then('every asset carries its layer as the tag "layer"')
def layer_tags(demo: DemoRun, assets: list[dict[str, Any]]) -> None:
    expected = {}
    for product in PRODUCTS:
        compiled = runs.load_artifact(demo.output_dir, product)
        expected.update({tuple(t.table.split(".", 1)): t.layer for t in compiled.transforms})
    assert _layers(assets) == expected


@then(
    "headless Chromium renders Dagster's global asset lineage with the three groups, and each "
    "group's lineage with every asset of its product, its screenshots attached"
)
def chromium_lineage(demo: DemoRun, tmp_path: Path) -> None:
    url = demo.settings.url("dagster")
    compiled = {p: runs.load_artifact(demo.output_dir, p) for p in PRODUCTS}
    groups = [c.lakehouse.namespace for c in compiled.values()]
    overview = render(
        f"{url}/asset-groups", tmp_path, "Dagster global asset lineage", f"text={groups[-1]}"
    )
    for group in groups:
        assert group in overview.dom, group
    for product, artifact in compiled.items():
        group = artifact.lakehouse.namespace
        page = f"{url}/locations/__repository__@{product}/asset-groups/{group}/lineage"
        last = artifact.transforms[-1].name
        lineage = render(page, tmp_path, f"Dagster lineage of {product}", f"text={last}")
        for transform in artifact.transforms:
            assert transform.name in lineage.dom, (product, transform.name)


@then(
    'the demo trace holds the span "demo.run" and one span "demo.product <product>" per product, '
    "each naming its run's trace id"
)
def demo_spans(demo_trace: dict[str, Any]) -> None:
    spans = demo_trace["spans"]
    (root,) = [s for s in spans if s["name"] == "demo.run"]
    children = {s["name"]: s for s in spans if s["parent_span_id"] == root["span_id"]}
    assert sorted(children) == sorted(f"demo.product {p}" for p in PRODUCTS)
    runs_by_product = {}
    for product in PRODUCTS:
        child = children[f"demo.product {product}"]
        run_id = _attr(child, "floe.run_id")
        assert _attr(child, "floe.run.trace_id") == format_trace_id(trace_id_for_run(run_id))
        assert _attr(child, "floe.run.status") == "SUCCESS"
        runs_by_product[product] = run_id
    demo_trace["runs"] = runs_by_product


@then(
    'each product\'s run trace, in its own project "floe-<product>", has the root span '
    '"pipeline.run <product>" naming the demo trace as the one it is part of'
)
def runs_part_of_demo(demo: DemoRun, demo_trace: dict[str, Any]) -> None:
    for product, run_id in demo_trace["runs"].items():
        resp = requests.get(
            f"{demo.settings.url('phoenix')}/v1/projects/floe-{product}/spans/otlpv1",
            params={"trace_id": format_trace_id(trace_id_for_run(run_id)), "parent_id": "null"},
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        (root,) = resp.json()["data"]
        assert root["name"] == f"pipeline.run {product}"
        assert _attr(root, "floe.run_id") == run_id
        assert _attr(root, "floe.part_of.trace_id") == demo_trace["trace_id"]


def _csv_rows(path: Path) -> int:
    with path.open(newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@then(
    parsers.parse(
        "every seed table of the three products holds {factor:d} times the rows of the committed "
        "one, within 1%, as the output lists"
    )
)
def seeds_scaled(demo_copy: Path, command: CommandResult, factor: int) -> None:
    listed = dict(re.findall(r"(raw_[a-z_]+)=(\d+)", command.stdout))
    tables = 0
    for product in PRODUCTS:
        for seed in sorted((DEMO / product / "seeds").glob("*.csv")):
            scaled = _csv_rows(demo_copy / product / "seeds" / seed.name)
            expected = factor * _csv_rows(seed)
            assert abs(scaled - expected) <= expected / 100, (product, seed.name, scaled)
            assert int(listed[seed.stem]) == scaled, (seed.stem, listed)
            tables += 1
    assert tables == len(listed) == 6


@then("every committed seed table holds between 100 and 1000 rows")
def committed_seed_sizes() -> None:
    sizes = {
        seed.name: _csv_rows(seed)
        for product in PRODUCTS
        for seed in (DEMO / product / "seeds").glob("*.csv")
    }
    assert len(sizes) == 6 and all(100 <= n <= 1000 for n in sizes.values()), sizes


def _prometheus(demo: DemoRun, metric: str) -> dict[str, float]:
    resp = requests.get(
        f"{demo.settings.url('prometheus')}/api/v1/query", params={"query": metric}, timeout=10
    )
    assert resp.status_code == 200, resp.text
    return {r["metric"]["product"]: float(r["value"][1]) for r in resp.json()["data"]["result"]}


def _cells(dom: str, table_id: str) -> dict[str, list[str]]:
    """A rendered table's rows by their first cell, tags stripped."""
    table = dom.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    return {r[0]: r for r in rows if r}


def _percent(cell: str) -> float:
    return float(cell.rstrip("%")) / 100


@then(
    parsers.parse(
        "headless Chromium renders the metrics console it names with each product's last run "
        '"{outcome}", its models, rows and quality score as Prometheus holds them, and a graph '
        "over time per metric with one line per product, its screenshot attached"
    )
)
def metrics_console(demo: DemoRun, tmp_path: Path, outcome: str) -> None:
    wait_until(
        lambda: len(_prometheus(demo, "floe_quality_score")) == len(PRODUCTS),
        60,
        "Prometheus scraping the three products' metrics",
    )
    models = _prometheus(demo, "floe_pipeline_models_total")
    rows = _prometheus(demo, "floe_pipeline_rows_written")
    score = _prometheus(demo, "floe_quality_score")
    checks = _prometheus(demo, "floe_quality_checks_total")
    failed = _prometheus(demo, "floe_quality_checks_failed")
    url = f"{demo.settings.url('prometheus')}/consoles/floe-pipelines.html"
    page = render(url, tmp_path, "metrics console", "#floe-graph-quality svg path")
    shown = _cells(page.dom, "floe-pipeline-runs")
    assert sorted(shown) == sorted(PRODUCTS), shown
    for product, c in shown.items():
        assert c[1] == outcome, c
        assert int(c[3]) == round(models[product]), (product, c)
        assert int(c[6]) == round(rows[product]) and rows[product] > 0, (product, c)
        assert abs(_percent(c[7]) - score[product]) < 0.001, (product, c, score)
    quality = _cells(page.dom, "floe-quality")
    assert sorted(quality) == sorted(PRODUCTS), quality
    for product, c in quality.items():
        artifact = runs.load_artifact(demo.output_dir, product)
        quality = sum(len(t.quality) for t in artifact.transforms)
        compiled_checks = artifact.dbt.test_count + quality
        # every dbt test and quality expectation the artifact holds ran and was scored
        assert int(c[1]) == round(checks[product]) == compiled_checks, (product, c)
        assert int(c[2]) == round(failed[product]), (product, c)
        assert abs(_percent(c[3]) - score[product]) < 0.001, (product, c)
    for graph in ("duration", "rows", "error-rate", "quality"):
        svg = page.dom.split(f'id="floe-graph-{graph}"', 1)[1].split("</table>", 1)[0]
        labels = re.findall(r'<span class="label">([^<]+)</span>', svg)
        assert sorted(labels) == sorted(PRODUCTS), (graph, labels)
        assert svg.count('<path class="path"') == len(PRODUCTS), graph


@then(
    "every panel of the Grafana dashboard the chart ships, queried on that platform's "
    "Prometheus for all products, returns one series per product"
)
def grafana_queries(demo: DemoRun) -> None:
    board = json.loads((DASHBOARDS / "floe-pipelines.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert len(exprs) == len(board["panels"]) == 7
    evidence = {}
    for expr in exprs:
        found = _prometheus(demo, expr.replace("$product", ".*"))
        evidence[expr] = found
        assert sorted(found) == sorted(PRODUCTS), (expr, found)
    allure.attach(
        json.dumps(evidence, indent=2), "Grafana queries answered", allure.attachment_type.JSON
    )


@then(
    "headless Chromium renders the lineage store's graph of each product's last gold table with "
    "the nodes and edges its lineage API returns, every table of the product among them"
)
def lineage_pages(demo: DemoRun, tmp_path: Path) -> None:
    base = demo.settings.url("lineage")
    for product in PRODUCTS:
        artifact = runs.load_artifact(demo.output_dir, product)
        gold = [t.table for t in artifact.transforms if t.layer == "gold"][-1]
        node = f"dataset:{demo.settings.url('iceberg')}:{gold}"
        api = requests.get(f"{base}/api/v1/lineage", params={"nodeId": node}, timeout=30)
        assert api.status_code == 200, api.text
        graph = api.json()["graph"]
        page = render(
            f"{base}/lineage?nodeId={quote(node, safe='')}",
            tmp_path,
            f"lineage of {product}",
            "#lineage-graph svg",
        )
        nodes, edges = drawn_graph(page.dom, "lineage-graph")
        assert nodes == {n["id"] for n in graph}, product
        assert edges == {(e["origin"], e["destination"]) for n in graph for e in n["outEdges"]}
        tables = {n["data"]["name"] for n in graph if n["type"] == "DATASET"}
        assert {t.table for t in artifact.transforms} <= tables, (product, tables)
