"""OpenLineage events for a pipeline run, built with openlineage-python.

Four emission points (DESIGN, Observability): a dbt model starts, a dbt model completes (or
fails), Dagster materializes an asset, the pipeline run completes. Every event carries the
run's OTel trace id in a ``trace`` run facet so a lineage event leads to its spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import attr
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.generated.base import RunFacet

from floe import __version__

PRODUCER = f"https://floe.dev/floe/{__version__}"
TRACE_FACET_SCHEMA = "https://floe.dev/spec/facets/1-0-0/TraceRunFacet.json#/$defs/TraceRunFacet"


@attr.define
class TraceRunFacet(RunFacet):
    """The OTel trace (and span) this run's work was recorded under (FR-042)."""

    traceId: str  # camelCase: OpenLineage facet field names
    spanId: str

    @staticmethod
    def _get_schema() -> str:
        return TRACE_FACET_SCHEMA


@dataclass(frozen=True)
class DatasetRef:
    """An Iceberg table as OpenLineage names it: namespace = catalog URI, name = ns.table."""

    namespace: str
    name: str
    fields: Sequence[tuple[str, str]] = ()
    row_count: int | None = None


@dataclass(frozen=True)
class JobRef:
    namespace: str
    name: str
    integration: str  # DBT or DAGSTER
    job_type: str  # MODEL, SEED, ASSET or JOB


@dataclass(frozen=True)
class EventContext:
    """What ties an event to its pipeline run and trace."""

    trace_id: str
    span_id: str
    parent: tuple[JobRef, str] | None = None  # the pipeline job and run id


def _schema(fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    if not fields:
        return {}
    return {
        "schema": schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in fields],
            producer=PRODUCER,
        )
    }


def _input(ds: DatasetRef) -> InputDataset:
    return InputDataset(namespace=ds.namespace, name=ds.name, facets=_schema(ds.fields))


def _output(ds: DatasetRef) -> OutputDataset:
    output_facets: dict[str, Any] = {}
    if ds.row_count is not None:
        output_facets["outputStatistics"] = (
            output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=ds.row_count, producer=PRODUCER
            )
        )
    return OutputDataset(
        namespace=ds.namespace, name=ds.name, facets=_schema(ds.fields), outputFacets=output_facets
    )


def run_event(
    state: str,
    job: JobRef,
    run_id: str,
    ctx: EventContext,
    inputs: Sequence[DatasetRef] = (),
    outputs: Sequence[DatasetRef] = (),
    error: str | None = None,
) -> RunEvent:
    run_facets: dict[str, Any] = {
        "trace": TraceRunFacet(traceId=ctx.trace_id, spanId=ctx.span_id, producer=PRODUCER)
    }
    if ctx.parent is not None:
        parent_job, parent_run_id = ctx.parent
        run_facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent_run_id),
            job=parent_run.Job(namespace=parent_job.namespace, name=parent_job.name),
            producer=PRODUCER,
        )
    if error is not None:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="SQL", producer=PRODUCER
        )
    job_facets: dict[str, Any] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH",
            integration=job.integration,
            jobType=job.job_type,
            producer=PRODUCER,
        )
    }
    return RunEvent(
        eventType=RunState[state],
        eventTime=datetime.now(UTC).isoformat(),
        run=Run(runId=run_id, facets=run_facets),
        job=Job(namespace=job.namespace, name=job.name, facets=job_facets),
        producer=PRODUCER,
        inputs=[_input(d) for d in inputs],
        outputs=[_output(d) for d in outputs],
    )
