"""OpenLineage over HTTP to Marquez's API (Marquez in the chart, floe's own receiver on the
local target). No retries: a pipeline must not wait for its lineage."""

from __future__ import annotations

from typing import Any, Literal

import requests
from pydantic import Field

from floe import config
from floe.observability.degraded import report_once
from floe.plugins.base import HealthStatus, LineagePlugin
from floe.typedef import FloeModel


class OpenLineageConfig(FloeModel):
    url: str = Field(default="http://127.0.0.1:5000", description="Base URL of the receiver.")
    endpoint: str = Field(default="api/v1/lineage", description="Path events are POSTed to.")
    timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    marquez_database: Literal["shared", "dedicated"] = Field(
        default="shared",
        description="On the chart, where Marquez keeps its data: a database of its own in the "
        "platform's PostgreSQL (shared) or a PostgreSQL of its own (dedicated).",
    )


class OpenLineageHttpPlugin(LineagePlugin[OpenLineageConfig]):
    name = "openlineage"
    config_model = OpenLineageConfig

    def __init__(self, cfg: Any = None) -> None:
        super().__init__(cfg)
        self._client: Any = None
        self._failed = False

    @property
    def url(self) -> str:
        return config.lineage_url(self.config.url)

    def _get_client(self) -> Any:
        if self._client is None:
            from openlineage.client import OpenLineageClient
            from openlineage.client.transport.http import HttpConfig, HttpTransport

            http = HttpConfig(
                url=self.url,
                endpoint=self.config.endpoint,
                timeout=self.config.timeout_seconds,
                retry={"total": 0},
            )
            self._client = OpenLineageClient(transport=HttpTransport(http))
        return self._client

    def emit(self, event: Any) -> None:
        """Send, or drop once the receiver has failed in this process: a hung receiver must
        not cost every event its timeout (the loss was reported at the first failure)."""
        if self._failed:
            return
        try:
            self._get_client().emit(event)
        except Exception as exc:  # lineage is never worth a failed pipeline
            self._failed = True
            report_once(f"openlineage:{self.url}", f"{type(exc).__name__}: {exc}")

    def health_check(self) -> HealthStatus:
        try:
            resp = requests.get(f"{self.url}/api/v1/namespaces", timeout=3)
        except requests.RequestException as exc:
            return HealthStatus(healthy=False, detail=f"{self.url}: {type(exc).__name__}")
        return HealthStatus(
            healthy=resp.status_code == 200, detail=f"GET /api/v1/namespaces -> {resp.status_code}"
        )
