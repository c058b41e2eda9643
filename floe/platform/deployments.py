"""What staging and prod serve on the local platform: a promoted artifact each, by digest.

A deployment is the artifact's bytes as pulled from the registry, unpacked under the platform's
home (one folder per digest, so a rollback finds the earlier one still there), and the code
location that serves it. Its code server runs with the environment's warehouse and identity in
place of the platform's, so everything it launches (runs, sensors, their dbt) writes there.
Recorded in the home, not the run folder: deployments outlive a 'platform down'.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from floe import config
from floe.platform import catalog_access, environments
from floe.platform import secrets as sec
from floe.platform.services import environment_buckets
from floe.platform.settings import PlatformSettings
from floe.typedef import FloeModel

RECORD = "deployments.json"


class Deployment(FloeModel):
    environment: str
    product: str
    version: str
    digest: str
    location: str
    definitions: str


def _root(settings: PlatformSettings) -> Path:
    return settings.home / "deployments"


def folder(settings: PlatformSettings, env: str, product: str, digest: str) -> Path:
    return _root(settings) / env / product / digest.split(":", 1)[-1][:16]


def all_deployments(settings: PlatformSettings) -> dict[str, Deployment]:
    """Location -> what it serves now."""
    path = _root(settings) / RECORD
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: Deployment.model_validate(entry) for name, entry in data.items()}


def current(settings: PlatformSettings, env: str, product: str) -> Deployment | None:
    return all_deployments(settings).get(environments.location(env, product))


def record(settings: PlatformSettings, deployment: Deployment) -> None:
    known = all_deployments(settings)
    known[deployment.location] = deployment
    path = _root(settings) / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {name: d.model_dump() for name, d in sorted(known.items())}
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def locations(settings: PlatformSettings) -> dict[str, Path]:
    """Location -> definitions file, for every deployment."""
    return {name: Path(d.definitions) for name, d in all_deployments(settings).items()}


def environment_variables(settings: PlatformSettings, location: str) -> dict[str, str]:
    """What a deployment's code server runs with in place of the platform's values: its
    environment, digest and warehouse, and the environment's own credentials."""
    deployment = all_deployments(settings).get(location)
    if deployment is None:
        return {}
    env = deployment.environment
    principal = environments.principal(env)
    key_id, secret = catalog_access.principal_credentials(settings.home, [principal])[principal]
    return {
        config.FLOE_ENVIRONMENT: env,
        config.FLOE_ARTIFACT_DIGEST: deployment.digest,
        config.FLOE_WAREHOUSE: environment_buckets()[env],
        sec.S3_ACCESS_KEY: key_id,
        sec.S3_SECRET_KEY: secret.get_secret_value(),
        # The local catalog authenticates OAuth2 clients with the S3 identity's keys.
        sec.CATALOG_CLIENT_ID: key_id,
        sec.CATALOG_CLIENT_SECRET: secret.get_secret_value(),
    }


@contextmanager
def acting_as(settings: PlatformSettings, location: str) -> Iterator[None]:
    """For the duration, this process reads tables as the deployment's runs write them."""
    saved = dict(os.environ)
    os.environ.update(environment_variables(settings, location))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
