"""values.schema.json from the ChartValues model: `python -m floe.chart.schema --write` records
it, `--check` (the suite) fails when the chart's schema and the model have drifted apart."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from floe.chart.values import ChartValues

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "floe-platform"
SCHEMA_FILE = CHART_DIR / "values.schema.json"


def values_schema() -> dict[str, Any]:
    schema = ChartValues.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "floe-platform values"
    return schema


def render() -> str:
    return json.dumps(values_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write values.schema.json")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
        return 0
    current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.is_file() else ""
    if current != text:
        print(f"{SCHEMA_FILE} is out of date: python -m floe.chart.schema --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
