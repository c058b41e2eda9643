"""Signatures with cosign: a key pair per platform, signing offline (no transparency log), and
verification against the public key an environment trusts.

cosign stores a signature as the tag ``sha256-<hex>.sig`` in the artifact's repository, so a
signature belongs to one digest: content pushed under a signed tag afterwards has none.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from floe.errors import PlatformError

COSIGN_RC = {10: "no signature found", 12: "the signature does not verify"}


def cosign() -> str:
    """The cosign ``make setup`` installs beside Python, else one on PATH."""
    beside = Path(sys.executable).parent / "cosign"
    found = str(beside) if beside.is_file() else shutil.which("cosign")
    if not found:
        raise PlatformError(
            "cosign is not installed", hint="run 'make setup' (it installs cosign 2.5)"
        )
    return found


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str


class Signer:
    """cosign bound to one registry login and one key folder."""

    def __init__(
        self,
        keys: Path,
        key_password: SecretStr,
        registry_host: str,
        user: str,
        password: SecretStr,
    ) -> None:
        self.keys = keys
        self._key_password = key_password
        self._docker_config = keys / "docker"
        self._login = (registry_host, user, password)
        self._config_written = False

    @property
    def private_key(self) -> Path:
        return self.keys / "cosign.key"

    @property
    def public_key(self) -> Path:
        return self.keys / "cosign.pub"

    def _env(self) -> dict[str, str]:
        """A private DOCKER_CONFIG holding only the registry's login, so cosign never reads or
        writes the user's own; written once per signer."""
        config = self._docker_config / "config.json"
        if not self._config_written:
            host, user, password = self._login
            self._docker_config.mkdir(parents=True, exist_ok=True, mode=0o700)
            token = base64.b64encode(f"{user}:{password.get_secret_value()}".encode()).decode()
            fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"auths": {host: {"auth": token}}}, fh)
            self._config_written = True
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.keys),
            "DOCKER_CONFIG": str(self._docker_config),
            "COSIGN_PASSWORD": self._key_password.get_secret_value(),
        }

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [cosign(), *args],
            cwd=self.keys,
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )

    def ensure_keys(self) -> Path:
        """Generate the key pair once (into the working folder); returns the public key."""
        if not self.private_key.is_file():
            self.keys.mkdir(parents=True, exist_ok=True, mode=0o700)
            result = self._run(["generate-key-pair"])
            if result.returncode != 0:
                raise PlatformError(f"cosign could not generate a key pair: {result.stderr[-300:]}")
        return self.public_key

    def sign(self, ref: str) -> None:
        self.ensure_keys()
        result = self._run(
            [
                "sign",
                "--key",
                str(self.private_key),
                "--tlog-upload=false",
                "--allow-insecure-registry",
                "-y",
                ref,
            ]
        )
        if result.returncode != 0:
            raise PlatformError(f"cosign could not sign {ref}: {result.stderr.strip()[-300:]}")

    def verify(self, ref: str, public_key: Path) -> Verdict:
        result = self._run(
            [
                "verify",
                "--key",
                str(public_key),
                "--insecure-ignore-tlog=true",
                "--allow-insecure-registry",
                ref,
            ]
        )
        if result.returncode == 0:
            return Verdict(True, f"signature verified with {public_key.name}")
        last = [line for line in result.stderr.splitlines() if line.startswith("Error")]
        detail = last[-1] if last else result.stderr.strip()[-200:]
        what = COSIGN_RC.get(result.returncode, f"cosign exited {result.returncode}")
        return Verdict(False, f"{what} for {ref} with the key {public_key.name} ({detail})")
