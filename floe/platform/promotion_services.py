"""The local target's promotion services (DESIGN's stack table): the Distribution registry
(Debian's ``docker-registry``, htpasswd authentication) holds the OCI artifacts, and floe's policy
gate answers OPA's REST data API over the manifest repository's Rego policies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from pydantic import SecretStr

from floe.platform import secrets as sec
from floe.platform.process import ServiceProcess, base_env
from floe.platform.services import http_ok
from floe.platform.settings import PlatformSettings

REGISTRY_USER = "floe"
SYSTEM_PACKAGES = {"docker-registry": "docker-registry", "htpasswd": "apache2-utils"}


def registry_root(settings: PlatformSettings) -> Path:
    return settings.home / "registry"


def _registry_config(settings: PlatformSettings, secrets: dict[str, SecretStr]) -> Path:
    """The registry's config (its port follows the settings) and its htpasswd file."""
    root = registry_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    htpasswd = root / "htpasswd"
    if not htpasswd.is_file():
        subprocess.run(  # bcrypt, the only hash the registry accepts; password on stdin, not argv
            ["htpasswd", "-Bic", str(htpasswd), REGISTRY_USER],
            input=secrets[sec.REGISTRY_PASSWORD].get_secret_value(),
            text=True,
            capture_output=True,
            check=True,
        )
    config = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(root / "data")},
            "delete": {"enabled": True},
        },
        "http": {
            "addr": f"127.0.0.1:{settings.port('registry')}",
            "secret": secrets[sec.REGISTRY_PASSWORD].get_secret_value(),
        },
        "auth": {"htpasswd": {"realm": "floe", "path": str(htpasswd)}},
    }
    path = root / "config.yml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(config, fh)
    return path


def registry(settings: PlatformSettings, secrets: dict[str, SecretStr]) -> ServiceProcess:
    url = settings.url("registry")
    return ServiceProcess(
        name="registry",
        command=["docker-registry", "serve", str(_registry_config(settings, secrets))],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=base_env(),
        health=lambda: http_ok(f"{url}/v2/", codes=(200, 401)),
    )


def policy_folder(settings: PlatformSettings) -> Path:
    """Policies live in the manifest's repository: ``policies/`` beside manifest.yaml."""
    return (settings.manifest.parent if settings.manifest else settings.home) / "policies"


def policy_gate(settings: PlatformSettings) -> ServiceProcess:
    url = settings.url("policy_gate")
    return ServiceProcess(
        name="policy-gate",
        command=[
            sys.executable,
            "-m",
            "floe.promotion.policy_gate",
            "--port",
            str(settings.port("policy_gate")),
            "--policies",
            str(policy_folder(settings)),
        ],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=base_env(),
        health=lambda: http_ok(f"{url}/health"),
    )
