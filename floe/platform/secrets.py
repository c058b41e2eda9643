"""Credentials of a local platform: generated once into <home>/secrets.env (mode 0600).

The names are the ones the demo manifest's secret references point at, so compiled profiles
resolve them from the environment the platform exports.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

# Names of environment variables, not secrets.
S3_ACCESS_KEY = "FLOE_S3_ACCESS_KEY_ID"
S3_SECRET_KEY = "FLOE_S3_SECRET_ACCESS_KEY"  # noqa: S105
CATALOG_CLIENT_ID = "FLOE_CATALOG_CLIENT_ID"
CATALOG_CLIENT_SECRET = "FLOE_CATALOG_CLIENT_SECRET"  # noqa: S105
PG_PASSWORD = "FLOE_PG_PASSWORD"  # noqa: S105
REGISTRY_PASSWORD = "FLOE_REGISTRY_PASSWORD"  # noqa: S105
SIGNING_KEY_PASSWORD = "FLOE_SIGNING_KEY_PASSWORD"  # noqa: S105
SECRETS_FILE = "secrets.env"


def _generate() -> dict[str, str]:
    access = "floe" + secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return {
        S3_ACCESS_KEY: access,
        S3_SECRET_KEY: secret,
        # The local catalog authenticates OAuth2 clients with the S3 identity's keys.
        CATALOG_CLIENT_ID: access,
        CATALOG_CLIENT_SECRET: secret,
        PG_PASSWORD: secrets.token_urlsafe(18),
        REGISTRY_PASSWORD: secrets.token_urlsafe(18),
        SIGNING_KEY_PASSWORD: secrets.token_urlsafe(18),
    }


def read(home: Path) -> dict[str, SecretStr]:
    """The secrets a platform home holds, without creating any."""
    path = home / SECRETS_FILE
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = SecretStr(value)
    return values


def ensure(home: Path) -> dict[str, SecretStr]:
    """Read the platform's secrets, creating them on first use; a home made by an older floe
    gets the ones it lacks appended, never a change to those it has."""
    path = home / SECRETS_FILE
    if not path.is_file():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    values = read(home)
    missing = {k: v for k, v in _generate().items() if k not in values}
    if missing:
        with path.open("a", encoding="utf-8") as fh:
            fh.writelines(f"{k}={v}\n" for k, v in missing.items())
        values.update({k: SecretStr(v) for k, v in missing.items()})
    return values
