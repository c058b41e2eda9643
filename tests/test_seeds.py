"""Demo seed data: deterministic, plausible, scaled by FLOE_DEMO_SEED_SCALE (FR-083)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from floe import config
from floe.demo.seeds import GENERATORS, write_seeds

DEMO = Path(__file__).resolve().parents[1] / "demo"


@pytest.mark.parametrize("product", sorted(GENERATORS))
def test_committed_seeds_equal_scale_one(product: str) -> None:
    for table, text in GENERATORS[product](1.0).items():
        assert (DEMO / product / "seeds" / f"{table}.csv").read_text() == text


@pytest.mark.parametrize("product", sorted(GENERATORS))
def test_default_scale_is_100_to_1000_rows(product: str) -> None:
    for table, text in GENERATORS[product](1.0).items():
        rows = text.count("\n") - 1
        assert 100 <= rows <= 1000, (table, rows)


def test_scale_multiplies_rows(tmp_path: Path) -> None:
    counts = write_seeds("financial-risk", tmp_path, 10)
    assert counts == {"raw_counterparties": 1500, "raw_positions": 10000}


def test_seed_values_are_plausible() -> None:
    rows = list(csv.DictReader(io.StringIO(GENERATORS["customer-360"](1.0)["raw_transactions"])))
    amounts = [float(r["amount"]) for r in rows]
    assert min(amounts) > 1 and max(amounts) < 1000
    assert {r["status"] for r in rows} == {"completed", "refunded", "failed"}
    assert {r["channel"] for r in rows} == {"web", "store", "app"}


def test_seed_scale_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_DEMO_SEED_SCALE", "100")
    assert config.seed_scale() == 100
    monkeypatch.setenv("FLOE_DEMO_SEED_SCALE", "lots")
    with pytest.raises(ValueError, match="is not a number"):
        config.seed_scale()
