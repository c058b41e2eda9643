"""Data-quality checks on pyarrow tables, registered as floe's quality plugin ``arrow``."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from floe.plugins import HealthStatus, QualityPlugin


class ArrowQualityConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_examples: int = Field(
        default=5, ge=0, description="Failing values reported per check (0: none)."
    )


def _unexpected(rows: pa.Table, check: Any) -> tuple[int, list[Any]]:
    """(how many values break the check, a few of them)."""
    column = rows.column(check.column)
    name = check.expectation
    if name == "expect_column_values_to_not_be_null":
        bad = pc.is_null(column)
    elif name == "expect_column_values_to_be_unique":
        counts = pc.value_counts(column.drop_null())
        dupes = [v["values"] for v in counts.to_pylist() if v["counts"] > 1]
        bad = pc.is_in(column, value_set=pa.array(dupes, type=column.type))
    elif name == "expect_column_values_to_be_between":
        low = pc.less(column, check.min_value) if check.min_value is not None else None
        high = pc.greater(column, check.max_value) if check.max_value is not None else None
        if low is None and high is None:
            bad = pc.is_null(column)  # no bounds: only a missing value can break it
        elif low is None or high is None:
            bad = low if high is None else high
        else:
            bad = pc.or_(low, high)
    elif name == "expect_column_values_to_be_in_set":
        allowed = pa.array(check.value_set or [], type=pa.string())
        bad = pc.invert(pc.is_in(pc.cast(column, pa.string()), value_set=allowed))
    else:
        raise ValueError(f"the arrow quality plugin does not know '{name}'")
    bad = pc.fill_null(bad, False) if name != "expect_column_values_to_not_be_null" else bad
    examples = pc.filter(column, bad).to_pylist()
    return len(examples), examples


class ArrowQualityPlugin(QualityPlugin[ArrowQualityConfig]):
    name = "arrow"
    version = "0.1.0"
    config_model = ArrowQualityConfig

    def validate_rows(self, rows: Any, checks: Sequence[Any]) -> list[dict[str, Any]]:
        results = []
        for check in checks:
            if check.expectation == "expect_table_row_count_to_be_between":
                low = check.min_value if check.min_value is not None else float("-inf")
                high = check.max_value if check.max_value is not None else float("inf")
                ok = low <= rows.num_rows <= high
                unexpected, examples = (0 if ok else 1), []
            else:
                unexpected, examples = _unexpected(rows, check)
            results.append(
                {
                    "expectation": check.expectation,
                    "column": check.column,
                    "success": unexpected == 0,
                    "unexpected_count": unexpected,
                    "element_count": rows.num_rows,
                    "examples": examples[: self.config.max_examples],
                }
            )
        return results

    def health_check(self) -> HealthStatus:
        return HealthStatus(healthy=True, detail=f"pyarrow {version('pyarrow')}")


__all__: list[str] = ["ArrowQualityConfig", "ArrowQualityPlugin"]
