"""The manifest's RBAC (Polaris model) applied to the local catalog.

Polaris enforces principals, roles and privileges itself; the local target's SeaweedFS catalog
enforces identities instead: per principal an access key pair and a list of actions,
``s3tables:<Operation>:<bucket>`` for catalog calls and ``Read``/``Write``/``List`` on a bucket or
a path prefix for data files. Each principal the manifest declares becomes such an identity,
with credentials generated once into ``<home>/principals.env`` (mode 0600).

What the local catalog can and cannot scope (checked against SeaweedFS 4.48): reading and
writing data files is scoped to a namespace (``Read:warehouse/<ns>/*``); catalog metadata calls
are scoped to the bucket only, so a principal that may read one namespace can list the tables of
all, and one that may create tables can create them in any namespace (but write no data there).
A principal without TABLE_READ_DATA anywhere is refused: 403 on listing, no such table on load.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from floe.platform import environments
from floe.plugins.builtin.rbac_polaris import Grant, PolarisRBACPlugin
from floe.spec.loader import load
from floe.spec.manifest import PlatformManifest

PRINCIPALS_FILE = "principals.env"
READ_CATALOG = ("GetTableBucket", "ListNamespaces", "GetNamespace", "ListTables", "GetTable")


def _scope(bucket: str, grant: Grant) -> str:
    """The data-file scope of a grant: the whole bucket, or a namespace's prefix."""
    namespace = grant.scope.split(".", 1)[0]
    return bucket if grant.scope == "*" else f"{bucket}/{namespace}/*"


def seaweedfs_actions(grants: list[Grant], bucket: str) -> list[str]:
    """SeaweedFS identity actions granting what ``grants`` allow (and nothing wider on data)."""
    actions: set[str] = set()
    for grant in grants:
        scope = _scope(bucket, grant)
        if grant.privilege in ("TABLE_READ_DATA", "TABLE_WRITE_DATA", "CATALOG_MANAGE_CONTENT"):
            actions |= {f"s3tables:{op}:{bucket}" for op in READ_CATALOG}
            actions |= {f"Read:{scope}", f"List:{bucket}"}
        if grant.privilege in ("TABLE_WRITE_DATA", "CATALOG_MANAGE_CONTENT"):
            actions |= {f"Write:{scope}", f"s3tables:UpdateTable:{bucket}"}
        if grant.privilege in ("TABLE_CREATE", "CATALOG_MANAGE_CONTENT"):
            actions |= {f"s3tables:CreateTable:{bucket}", f"Write:{scope}"}
        if grant.privilege in ("TABLE_DROP", "CATALOG_MANAGE_CONTENT"):
            actions.add(f"s3tables:DeleteTable:{bucket}")
        if grant.privilege in ("NAMESPACE_CREATE", "CATALOG_MANAGE_CONTENT"):
            actions.add(f"s3tables:CreateNamespace:{bucket}")
        if grant.privilege in ("NAMESPACE_LIST", "TABLE_LIST"):
            actions |= {f"s3tables:{op}:{bucket}" for op in ("ListNamespaces", "ListTables")}
    return sorted(actions)


def rbac_plugin(manifest: Path | None) -> PolarisRBACPlugin | None:
    """The manifest's RBAC plugin, if it declares the Polaris model."""
    if manifest is None:
        return None
    choice = load(PlatformManifest, manifest).plugins.rbac
    if choice is None or choice.type != PolarisRBACPlugin.name:
        return None
    return PolarisRBACPlugin(choice.config)


def _env_name(principal: str) -> str:
    return "FLOE_PRINCIPAL_" + "".join(c if c.isalnum() else "_" for c in principal).upper()


def principal_credentials(home: Path, principals: list[str]) -> dict[str, tuple[str, SecretStr]]:
    """Access key and secret of each principal, generated on first use and kept 0600."""
    path = home / PRINCIPALS_FILE
    known: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                known[key] = value
    for principal in principals:
        name = _env_name(principal)
        if f"{name}_ID" not in known:
            known[f"{name}_ID"] = "p" + secrets.token_hex(8)
            known[f"{name}_SECRET"] = secrets.token_urlsafe(24)
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(f"{k}={v}\n" for k, v in sorted(known.items()))
    return {
        p: (known[f"{_env_name(p)}_ID"], SecretStr(known[f"{_env_name(p)}_SECRET"]))
        for p in principals
    }


def identities(home: Path, manifest: Path | None, bucket: str) -> list[dict[str, Any]]:
    """One SeaweedFS identity per principal the manifest declares."""
    rbac = rbac_plugin(manifest)
    if rbac is None:
        return []
    names = sorted(rbac.config.principals)
    creds = principal_credentials(home, names)
    return [
        {
            "name": f"principal-{name}",
            "credentials": [
                {"accessKey": creds[name][0], "secretKey": creds[name][1].get_secret_value()}
            ],
            "actions": seaweedfs_actions(rbac.privileges(name), bucket),
        }
        for name in names
    ]


def environment_identities(
    home: Path, buckets: dict[str, str], landing: str
) -> list[dict[str, Any]]:
    """One identity per promoted environment (``buckets``: environment -> its table bucket):
    everything on its own warehouse, reading the landing bucket its sensors watch, and nothing
    on any other warehouse."""
    names = {env: environments.principal(env) for env in buckets}
    creds = principal_credentials(home, sorted(names.values()))
    found = []
    for env, bucket in sorted(buckets.items()):
        grants = [Grant(privilege="CATALOG_MANAGE_CONTENT", scope="*")]
        key_id, secret = creds[names[env]]
        found.append(
            {
                "name": names[env],
                "credentials": [{"accessKey": key_id, "secretKey": secret.get_secret_value()}],
                "actions": [
                    *seaweedfs_actions(grants, bucket),
                    f"Read:{landing}",
                    f"List:{landing}",
                ],
            }
        )
    return found
