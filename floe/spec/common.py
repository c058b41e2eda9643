"""Pieces shared by floe.yaml and manifest.yaml."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from floe.typedef import FloeModel

NAME_PATTERN = r"^[a-z][a-z0-9-]{1,62}$"
SEMVER_PATTERN = r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$"
ENV_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"

Name = Annotated[str, Field(pattern=NAME_PATTERN, description="lower-case, digits and '-'")]
SemVer = Annotated[str, Field(pattern=SEMVER_PATTERN, description="semantic version, e.g. 1.2.0")]


class Metadata(FloeModel):
    """Who owns a document and what it is called."""

    name: Name = Field(description="Identifier; becomes the Dagster code location and namespace.")
    version: SemVer = Field(description="Semantic version of this document.")
    owner: str = Field(min_length=3, description="Team or e-mail that answers for it.")
    description: str = Field(default="", description="One or two sentences for humans.")
    labels: dict[str, str] = Field(default_factory=dict, description="Free-form key/value tags.")


class Schedule(FloeModel):
    """When the product's pipeline runs on its own."""

    cron: str = Field(default="*/10 * * * *", description="Five-field cron expression.")
    timezone: str = Field(default="UTC", description="IANA timezone, e.g. Europe/Berlin.")
    enabled: bool = Field(default=True, description="Turn the schedule off without deleting it.")

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5 or not re.fullmatch(r"[0-9*/,\- ]+", value):
            raise ValueError("expected a five-field cron expression such as '*/10 * * * *'")
        return value


class QualityCheck(FloeModel):
    """One Great Expectations expectation run against a table after the pipeline."""

    expectation: Literal[
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_between",
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_be_in_set",
    ]
    column: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    value_set: list[str] | None = None
