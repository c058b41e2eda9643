"""Iceberg REST catalog (Polaris in the chart, SeaweedFS's REST catalog on the local target)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import requests
from pydantic import Field

from floe import config
from floe.plugins.base import CatalogPlugin, HealthStatus
from floe.spec.secrets import SecretRef
from floe.typedef import FloeModel


class IcebergRestConfig(FloeModel):
    uri: str = Field(description="Base URL of the REST catalog, e.g. http://127.0.0.1:8181.")
    warehouse: str = Field(default="warehouse", description="Warehouse / table bucket name.")
    client_id: SecretRef = Field(description="OAuth2 client id reference.")
    client_secret: SecretRef = Field(description="OAuth2 client secret reference.")
    scope: str = Field(default="PRINCIPAL_ROLE:ALL")


class IcebergRestCatalogPlugin(CatalogPlugin[IcebergRestConfig]):
    name = "iceberg-rest"
    config_model = IcebergRestConfig
    example_config: ClassVar[Mapping[str, Any]] = {
        "uri": "http://127.0.0.1:8181",
        "warehouse": "warehouse",
        "client_id": {"env": "FLOE_CATALOG_CLIENT_ID"},
        "client_secret": {"env": "FLOE_CATALOG_CLIENT_SECRET"},
    }

    def connection_properties(self) -> dict[str, str]:
        cfg = self.config
        return {
            "type": "rest",
            "uri": cfg.uri,
            "warehouse": cfg.warehouse,
            "credential": f"{cfg.client_id.resolve().get_secret_value()}:"
            f"{cfg.client_secret.resolve().get_secret_value()}",
            "scope": cfg.scope,
        }

    def warehouse(self) -> str:
        return self.config.warehouse

    def health_check(self) -> HealthStatus:
        uri = config.catalog_uri(self.config.uri)
        try:
            resp = requests.get(f"{uri}/v1/config", timeout=3)
        except requests.RequestException as exc:
            return HealthStatus(healthy=False, detail=f"{uri}: {type(exc).__name__}")
        # 200 (open) or 401 (asks for a token) both prove the catalog is answering.
        ok = resp.status_code in (200, 401)
        return HealthStatus(healthy=ok, detail=f"GET /v1/config -> {resp.status_code}")
