"""The OCI registry that holds artifacts: push and pull through the oras SDK, and the few
registry calls oras lacks (resolve a tag, copy by digest across repositories, move a tag).

Repositories are ``<environment>/<product>``: an environment holds exactly the manifests that
were pushed or promoted into it, each addressed by its digest.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import oras.client
import requests
from pydantic import SecretStr

from floe.errors import PlatformError

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.floe.artifact.config.v1+json"
LAYER_TYPE = "application/vnd.floe.artifact.layer.v1.tar+gzip"


class RegistryError(PlatformError):
    """The registry could not be reached or refused a request."""


class Registry:
    """One registry, reached over plain HTTP on 127.0.0.1 with basic authentication."""

    def __init__(self, url: str, user: str, password: SecretStr) -> None:
        self.url = url.rstrip("/")
        self.host = self.url.split("://", 1)[1]
        self._auth = (user, password.get_secret_value())

    def _client(self) -> oras.client.OrasClient:
        client = oras.client.OrasClient(hostname=self.host, insecure=True, auth_backend="basic")
        client.auth.set_basic_auth(*self._auth)
        return client

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = requests.request(
                method, f"{self.url}/v2/{path}", auth=self._auth, timeout=30, **kwargs
            )
        except requests.RequestException as exc:
            raise RegistryError(
                f"the artifact registry at {self.url} cannot be reached ({type(exc).__name__})",
                hint="start the platform with 'floe platform up'",
            ) from None
        return response

    def ref(self, repo: str, reference: str) -> str:
        sep = "@" if reference.startswith("sha256:") else ":"
        return f"{self.host}/{repo}{sep}{reference}"

    def push(
        self,
        repo: str,
        tag: str,
        layer: Path,
        config: Path,
        types: tuple[str, str] = (LAYER_TYPE, CONFIG_TYPE),
    ) -> str:
        """Upload one layer and its config under ``tag`` (media types: a floe artifact's unless
        ``types`` says otherwise); returns the manifest's digest."""
        response = self._client().push(
            target=self.ref(repo, tag),
            files=[f"{layer}:{types[0]}"],
            manifest_config=f"{config}:{types[1]}",
            disable_path_validation=True,
        )
        digest = response.headers.get("Docker-Content-Digest", "")
        if response.status_code != 201 or not digest:
            raise RegistryError(f"the registry refused {repo}:{tag} ({response.status_code})")
        return str(digest)

    def pull(self, repo: str, digest: str, outdir: Path) -> list[Path]:
        """The layers of ``repo@digest``, each checked against the digest its manifest names:
        a blob changed in the registry's storage must not pass for the signed one."""
        outdir.mkdir(parents=True, exist_ok=True)
        layers = json.loads(self.manifest(repo, digest))["layers"]
        expected = {
            blob["annotations"]["org.opencontainers.image.title"]: blob["digest"] for blob in layers
        }
        files = [
            Path(p) for p in self._client().pull(target=self.ref(repo, digest), outdir=str(outdir))
        ]
        for path in files:
            found = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
            if expected.get(path.name) != found:
                raise RegistryError(
                    f"{repo}@{digest}: layer {path.name} has digest {found}, its manifest says "
                    f"{expected.get(path.name)}: the registry's copy was changed"
                )
        return files

    def resolve(self, repo: str, reference: str) -> str | None:
        """The digest a tag (or digest) names in ``repo``, or None where it names nothing."""
        response = self._request(
            "HEAD", f"{repo}/manifests/{reference}", headers={"Accept": MANIFEST_TYPE}
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryError(f"the registry answered {response.status_code} for {repo}")
        return str(response.headers["Docker-Content-Digest"])

    def manifest(self, repo: str, digest: str) -> bytes:
        response = self._request(
            "GET", f"{repo}/manifests/{digest}", headers={"Accept": MANIFEST_TYPE}
        )
        if response.status_code != 200:
            raise RegistryError(f"{repo}@{digest} is not in the registry ({response.status_code})")
        return response.content

    def holds(self, repo: str, digest: str, files: list[Path]) -> bool:
        """Whether the manifest's config and layers are exactly these files' bytes."""
        parsed = json.loads(self.manifest(repo, digest))
        theirs = sorted(b["digest"] for b in [parsed["config"], *parsed["layers"]])
        ours = sorted("sha256:" + hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
        return theirs == ours

    def tags(self, repo: str) -> list[str]:
        response = self._request("GET", f"{repo}/tags/list")
        if response.status_code == 404:
            return []
        return sorted(response.json().get("tags") or [])

    def put_manifest(self, repo: str, tag: str, body: bytes) -> str:
        response = self._request(
            "PUT", f"{repo}/manifests/{tag}", data=body, headers={"Content-Type": MANIFEST_TYPE}
        )
        if response.status_code != 201:
            raise RegistryError(f"the registry refused {repo}:{tag}: {response.text[:300]}")
        return str(response.headers["Docker-Content-Digest"])

    def copy(self, source: str, digest: str, target: str, tags: list[str]) -> None:
        """The same manifest bytes (so the same digest) in ``target`` under each tag; blobs are
        mounted across repositories, never downloaded."""
        body = self.manifest(source, digest)
        parsed = json.loads(body)
        for blob in [parsed["config"], *parsed["layers"]]:
            mounted = self._request(
                "POST",
                f"{target}/blobs/uploads/",
                params={"mount": blob["digest"], "from": source},
            )
            if mounted.status_code != 201:
                raise RegistryError(
                    f"could not mount {blob['digest']} from {source} into {target} "
                    f"({mounted.status_code})"
                )
        for tag in tags:
            copied = self.put_manifest(target, tag, body)
            if copied != digest:
                raise RegistryError(f"{target}:{tag} got digest {copied}, expected {digest}")
