"""Steps on products sharing the platform: runs at the same moment and writers racing for one
table, read back from Dagster and the catalog."""

from __future__ import annotations

import pyarrow.compute as pc
from pytest_bdd import parsers, then, when

from floe.platform import runs
from floe.platform.dagster_client import DagsterClient, RunResult
from steps.pipeline import catalog
from steps.platform import LivePlatform


def _launch_together(live: LivePlatform, products: list[str]) -> list[RunResult]:
    ids = [
        runs.launch(live.settings, runs.load_artifact(live.build, p), lambda _: None)
        for p in products
    ]
    return [runs.wait(live.settings, i, timeout=900, progress=lambda _: None) for i in ids]


@when(
    parsers.parse('the pipelines of "{products}" are launched at the same moment'),
    target_fixture="together",
)
def launch_products(live_platform: LivePlatform, products: str) -> dict[str, RunResult]:
    names = [p.strip() for p in products.split(",")]
    return dict(zip(names, _launch_together(live_platform, names), strict=True))


def _times(live: LivePlatform, run_id: str) -> tuple[float, float]:
    result = DagsterClient(live.url("dagster")).run(run_id)
    assert result.started_at is not None and result.ended_at is not None
    return result.started_at, result.ended_at


@then(
    parsers.parse(
        'every one of these runs ends with status "{status}", and their run times overlap'
    )
)
def all_succeed(live_platform: LivePlatform, together: dict[str, RunResult], status: str) -> None:
    assert {p: r.status for p, r in together.items()} == dict.fromkeys(together, status), {
        p: r.errors[:1] for p, r in together.items()
    }
    spans = [_times(live_platform, r.run_id) for r in together.values()]
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans


@then(parsers.parse('each run wrote only tables of its own namespace: "{namespaces}"'))
def own_namespaces(together: dict[str, RunResult], namespaces: str) -> None:
    expected = [n.strip() for n in namespaces.split(",")]
    for (product, result), namespace in zip(together.items(), expected, strict=True):
        written = {key.split("/")[0] for key in result.materialized}
        assert written == {namespace}, (product, written)


@then(
    parsers.parse(
        '"{first}" and "{second}" are two tables, each with its own {rows:d} rows and its own '
        "data files"
    )
)
def separate_tables(live_platform: LivePlatform, first: str, second: str, rows: int) -> None:
    cat = catalog(live_platform)
    a, b = cat.load_table(first), cat.load_table(second)
    assert a.location() != b.location()
    assert a.scan().to_arrow().num_rows == b.scan().to_arrow().num_rows == rows
    files_a = set(a.inspect.data_files().column("file_path").to_pylist())
    files_b = set(b.inspect.data_files().column("file_path").to_pylist())
    assert files_a and files_b and not files_a & files_b


## Writers racing for the same tables


@when(
    parsers.parse('two runs of "{product}" are launched at the same moment'), target_fixture="race"
)
def launch_twice(live_platform: LivePlatform, product: str) -> list[RunResult]:
    return _launch_together(live_platform, [product, product])


@then(parsers.parse('both racing runs end with status "{status}"'))
def both_succeed(race: list[RunResult], status: str) -> None:
    assert [r.status for r in race] == [status, status], [r.errors[:1] for r in race]


@then(parsers.parse('"{identifier}" holds {rows:d} rows with unique "{key}"'))
def unique_rows(live_platform: LivePlatform, identifier: str, rows: int, key: str) -> None:
    data = catalog(live_platform).load_table(identifier).scan().to_arrow()
    assert data.num_rows == rows
    assert pc.count_distinct(data.column(key)).as_py() == rows


@then(parsers.parse('"{identifier}" still holds the rows of the first run, each "{key}" once'))
def same_rows_unique(
    live_platform: LivePlatform, run: RunResult, identifier: str, key: str
) -> None:
    data = catalog(live_platform).load_table(identifier).scan().to_arrow()
    first = run.row_counts[identifier.replace(".", "/")]
    assert data.num_rows == first
    assert pc.count_distinct(data.column(key)).as_py() == first
