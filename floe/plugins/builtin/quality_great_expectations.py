"""Great Expectations as the quality plugin: each floe.yaml check becomes one expectation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from floe.plugins.base import EmptyConfig, HealthStatus, QualityPlugin


def _class_name(expectation: str) -> str:
    return "".join(part.capitalize() for part in expectation.split("_"))


class GreatExpectationsQualityPlugin(QualityPlugin[EmptyConfig]):
    name = "great-expectations"

    def preload(self) -> None:
        import great_expectations.expectations  # noqa: F401  (seconds of imports)

    def validate_rows(self, rows: Any, checks: Sequence[Any]) -> list[dict[str, Any]]:
        import great_expectations as gx
        import great_expectations.expectations as gxe

        context = gx.get_context(mode="ephemeral")
        asset = context.data_sources.add_pandas(name="floe").add_dataframe_asset(name="table")
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": rows.to_pandas()}
        )
        results = []
        for check in checks:
            kwargs = {
                k: v for k, v in check.model_dump().items() if k != "expectation" and v is not None
            }
            expectation = getattr(gxe, _class_name(check.expectation))(**kwargs)
            outcome = batch.validate(expectation)
            detail = outcome.result or {}
            results.append(
                {
                    "expectation": check.expectation,
                    "column": check.column,
                    "success": bool(outcome.success),
                    "unexpected_count": int(detail.get("unexpected_count", 0) or 0),
                    "element_count": int(detail.get("element_count", rows.num_rows) or 0),
                }
            )
        return results

    def health_check(self) -> HealthStatus:
        from importlib.metadata import version

        return HealthStatus(
            healthy=True, detail=f"great-expectations {version('great-expectations')}"
        )
