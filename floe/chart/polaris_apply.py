"""The chart's polaris-bootstrap job: applies the RBAC plan `floe chart values` rendered from the
manifest to Polaris, and keeps each new principal's credentials in a Secret for its pods.

Idempotent: a 409 (already exists) counts as applied, so `helm upgrade` re-runs it safely; a
principal's credentials exist only in the response that created it, so its Secret is written
then and left alone afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr


def _token(url: str, client_id: str, client_secret: SecretStr) -> str:
    resp = requests.post(
        f"{url}/api/catalog/v1/oauth/tokens",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret.get_secret_value(),
            "scope": "PRINCIPAL_ROLE:ALL",
        },
        timeout=30,
    )
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def _store_credentials(name: str, creds: dict[str, Any]) -> None:
    """Write a principal's client id/secret to the Secret <release>-<name> in this namespace."""
    from kubernetes import client, config

    config.load_incluster_config()  # type: ignore[no-untyped-call]
    namespace = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read_text().strip()
    data = {
        "client-id": base64.b64encode(str(creds["clientId"]).encode()).decode(),
        "client-secret": base64.b64encode(str(creds["clientSecret"]).encode()).decode(),
    }
    body = client.V1Secret(
        metadata=client.V1ObjectMeta(name=f"{os.environ['FLOE_RELEASE_FULLNAME']}-{name}"),
        data=data,
    )
    client.CoreV1Api().create_namespaced_secret(namespace, body)


def apply(plan: list[dict[str, Any]], url: str, token: str) -> list[str]:
    """Run each call; return one line per call (what it did)."""
    lines = []
    headers = {"Authorization": f"Bearer {token}"}
    for call in plan:
        resp = requests.request(
            call["method"], url + call["path"], json=call["body"], headers=headers, timeout=30
        )
        if resp.status_code == 409:
            lines.append(f"exists   {call['method']} {call['path']}")
            continue
        if resp.status_code >= 400:
            raise SystemExit(
                f"{call['method']} {call['path']} -> HTTP {resp.status_code}: {resp.text[:300]}"
            )
        if "credentials" in call:
            _store_credentials(call["credentials"], resp.json()["credentials"])
        lines.append(f"applied  {call['method']} {call['path']}")
    return lines


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    url = os.environ["POLARIS_URL"]
    secret = SecretStr(os.environ["POLARIS_ROOT_CLIENT_SECRET"])
    token = _token(url, os.environ["POLARIS_ROOT_CLIENT_ID"], secret)
    for line in apply(plan, url, token):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
