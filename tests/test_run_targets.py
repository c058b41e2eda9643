"""Each run's dbt output folder is kept for the newest runs only, never another product's."""

from __future__ import annotations

import os
from pathlib import Path

from floe.runtime.assets import prune_run_targets


def test_only_the_newest_run_folders_of_this_product_stay(tmp_path: Path) -> None:
    target = tmp_path / "target"
    folders = [target / f"customer_360_dbt-{i:07x}-abcdef{i % 10}" for i in range(14)]
    for age, folder in enumerate(reversed(folders)):
        folder.mkdir(parents=True)
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
    other = target / "iot_telemetry_dbt-0000001-0000001"
    other.mkdir()
    os.utime(other, (1, 1))
    (target / "partial_parse.msgpack").write_bytes(b"state")

    removed = prune_run_targets(folders[-1], keep=10)

    assert sorted(p.name for p in removed) == sorted(f.name for f in folders[:4])
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [*(f.name for f in folders[4:]), other.name, "partial_parse.msgpack"]
    )
