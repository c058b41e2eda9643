"""S3-compatible object storage (MinIO in the chart, SeaweedFS on the local target)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import requests
from pydantic import Field

from floe import config
from floe.plugins.base import HealthStatus, StoragePlugin
from floe.spec.secrets import SecretRef
from floe.typedef import FloeModel


class S3Config(FloeModel):
    endpoint: str = Field(description="S3 endpoint URL, e.g. http://127.0.0.1:8333.")
    region: str = Field(default="us-east-1")
    buckets: list[str] = Field(default_factory=lambda: ["warehouse", "staging"])
    access_key_id: SecretRef
    secret_access_key: SecretRef
    path_style: bool = Field(default=True, description="Bucket in the path, not the host name.")


class S3StoragePlugin(StoragePlugin[S3Config]):
    example_config: ClassVar[Mapping[str, Any]] = {
        "endpoint": "http://127.0.0.1:8333",
        "access_key_id": {"env": "FLOE_S3_ACCESS_KEY_ID"},
        "secret_access_key": {"env": "FLOE_S3_SECRET_ACCESS_KEY"},
    }
    name = "s3"
    config_model = S3Config

    def s3_properties(self) -> dict[str, str]:
        cfg = self.config
        return {
            "s3.endpoint": cfg.endpoint,
            "s3.region": cfg.region,
            "s3.access-key-id": cfg.access_key_id.resolve().get_secret_value(),
            "s3.secret-access-key": cfg.secret_access_key.resolve().get_secret_value(),
            "s3.path-style-access": str(cfg.path_style).lower(),
        }

    def health_check(self) -> HealthStatus:
        endpoint = config.s3_endpoint(self.config.endpoint)
        try:
            resp = requests.get(endpoint, timeout=3)
        except requests.RequestException as exc:
            return HealthStatus(healthy=False, detail=f"{endpoint}: {type(exc).__name__}")
        # An anonymous request is refused (403) or listed (200): either way S3 is answering.
        return HealthStatus(healthy=resp.status_code in (200, 403), detail=f"-> {resp.status_code}")
