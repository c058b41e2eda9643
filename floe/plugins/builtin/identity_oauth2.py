"""OAuth2 client credentials against a token endpoint (the Iceberg REST catalog's, by default).

This is how a product's runs prove who they are to the catalog: Polaris in the chart, the
SeaweedFS catalog on the local target, both at ``<catalog>/v1/oauth/tokens``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import requests
from pydantic import Field

from floe.errors import PlatformError
from floe.plugins.base import HealthStatus, IdentityPlugin
from floe.spec.secrets import SecretRef
from floe.typedef import FloeModel


class OAuth2Config(FloeModel):
    token_url: str = Field(
        description="Token endpoint, e.g. http://127.0.0.1:8181/v1/oauth/tokens."
    )
    client_id: SecretRef = Field(description="Client id reference ({env: VAR}).")
    client_secret: SecretRef = Field(description="Client secret reference ({env: VAR}).")
    scope: str = Field(default="PRINCIPAL_ROLE:ALL", description="Scope asked for.")
    timeout_s: float = Field(default=5, gt=0, description="Seconds to wait for the endpoint.")


class OAuth2IdentityPlugin(IdentityPlugin[OAuth2Config]):
    name = "oauth2"
    config_model = OAuth2Config
    example_config: ClassVar[Mapping[str, Any]] = {
        "token_url": "http://127.0.0.1:8181/v1/oauth/tokens",
        "client_id": {"env": "FLOE_CATALOG_CLIENT_ID"},
        "client_secret": {"env": "FLOE_CATALOG_CLIENT_SECRET"},
    }
    compatible_with: ClassVar[dict[str, frozenset[str]]] = {"catalog": frozenset({"iceberg-rest"})}

    def _request(self) -> requests.Response:
        cfg = self.config
        return requests.post(
            cfg.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": cfg.client_id.resolve().get_secret_value(),
                "client_secret": cfg.client_secret.resolve().get_secret_value(),
                "scope": cfg.scope,
            },
            timeout=cfg.timeout_s,
        )

    def token(self) -> str:
        try:
            resp = self._request()
        except requests.RequestException as exc:
            raise PlatformError(
                f"identity provider at {self.config.token_url} is unreachable "
                f"({type(exc).__name__})",
                hint="check 'floe platform status'",
            ) from None
        body: dict[str, Any] = resp.json() if resp.content else {}
        if resp.status_code != 200 or "access_token" not in body:
            raise PlatformError(
                f"identity provider at {self.config.token_url} refused the client credentials "
                f"(HTTP {resp.status_code}: {body.get('error', 'no token')})",
                hint=f"check the secrets {self.config.client_id.env} and "
                f"{self.config.client_secret.env}",
            )
        return str(body["access_token"])

    def health_check(self) -> HealthStatus:
        try:
            self.token()
        except Exception as exc:  # a health check reports, it never raises
            return HealthStatus(healthy=False, detail=str(exc).splitlines()[0])
        return HealthStatus(healthy=True, detail=f"token issued by {self.config.token_url}")
