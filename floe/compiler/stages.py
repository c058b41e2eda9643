"""The six compile stages, in order; each is a structured log event and an OTel span."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from opentelemetry.trace import StatusCode

from floe.observability.logging import get_logger
from floe.observability.tracing import tracer
from floe.typedef import FloeModel


class Stage(StrEnum):
    LOAD = "LOAD"
    VALIDATE = "VALIDATE"
    RESOLVE = "RESOLVE"
    ENFORCE = "ENFORCE"
    COMPILE = "COMPILE"
    GENERATE = "GENERATE"


STAGE_ORDER = list(Stage)


class StageRecord(FloeModel):
    """What a test or the CLI can see of one stage after it ran."""

    stage: Stage
    ok: bool
    duration_ms: float


class StageLog:
    """Runs stages in order and keeps their records."""

    def __init__(self, product: str) -> None:
        self.product = product
        self.records: list[StageRecord] = []
        self._log = get_logger("floe.compiler")

    @contextmanager
    def stage(self, stage: Stage) -> Iterator[None]:
        expected = STAGE_ORDER[len(self.records)]
        if stage is not expected:
            raise RuntimeError(f"compile stage {stage.value} ran before {expected.value}")
        start = time.perf_counter()
        with tracer().start_as_current_span(f"floe.compile.{stage.value.lower()}") as span:
            span.set_attribute("floe.product", self.product)
            span.set_attribute("floe.compile.stage", stage.value)
            ok = False
            try:
                yield
                ok = True
                span.set_status(StatusCode.OK)
            finally:
                ms = round((time.perf_counter() - start) * 1000, 1)
                self.records.append(StageRecord(stage=stage, ok=ok, duration_ms=ms))
                self._log.info(
                    "compile.stage", stage=stage.value, product=self.product, ok=ok, duration_ms=ms
                )
