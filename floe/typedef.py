"""Shared type aliases and the one pydantic base every floe model derives from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Layer = Literal["bronze", "silver", "gold"]
ArtifactVersion = Literal["0.5.0"]
ARTIFACT_VERSION: ArtifactVersion = "0.5.0"


class FloeModel(BaseModel):
    """Frozen and strict so a typo in YAML fails loudly instead of being ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
