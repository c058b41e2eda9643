"""Platform manifests published in the platform's OCI registry, named in floe.yaml as
``oci://HOST/REPOSITORY:TAG`` or ``oci://HOST/REPOSITORY@sha256:DIGEST``.

The platform team publishes a manifest once (``floe manifest push``); every product compiles
against the bytes the registry holds, so all of them agree on one digest without copying files
around. A pulled manifest is kept in floe's cache by digest: a pinned digest compiles offline, a
tag is resolved on every compile so that a moved tag is noticed.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from floe import config
from floe.errors import FloeError, SpecLoadError

if TYPE_CHECKING:
    from floe.promotion.oci import Registry

SCHEME = "oci://"
LAYER_TYPE = "application/vnd.floe.manifest.v1+yaml"
CONFIG_TYPE = "application/vnd.floe.manifest.config.v1+json"
FILE = "manifest.yaml"
USER_VARIABLE = "FLOE_REGISTRY_USER"
PASSWORD_VARIABLE = "FLOE_REGISTRY_PASSWORD"  # noqa: S105 (a variable's name)
DEFAULT_USER = "floe"
_REFERENCE = re.compile(
    r"^oci://(?P<host>[A-Za-z0-9.-]+(?::\d+)?)/(?P<repo>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?:(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))|(?:@(?P<digest>sha256:[0-9a-f]{64})))$"
)


@dataclass(frozen=True)
class Reference:
    host: str
    repo: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, text: str) -> Reference:
        found = _REFERENCE.match(text)
        if found is None:
            raise ValueError(
                f"'{text}' is not an OCI reference (expected oci://HOST/REPOSITORY:TAG or "
                "oci://HOST/REPOSITORY@sha256:DIGEST)"
            )
        return cls(found["host"], found["repo"], found["tag"], found["digest"])

    def __str__(self) -> str:
        return f"{SCHEME}{self.host}/{self.repo}" + (
            f"@{self.digest}" if self.digest else f":{self.tag}"
        )


def is_reference(text: str) -> bool:
    return text.startswith(SCHEME)


def _password_from_home() -> str | None:
    """The local platform's registry password, where this machine runs the platform."""
    from floe.platform import secrets

    found = secrets.read(config.home()).get(secrets.REGISTRY_PASSWORD)
    return found.get_secret_value() if found else None


def registry(host: str) -> Registry:
    from floe.promotion.oci import Registry

    password = os.environ.get(PASSWORD_VARIABLE) or _password_from_home()
    if password is None:
        raise FloeError(
            f"no credentials for the registry at {host}",
            hint=f"set {PASSWORD_VARIABLE} (and {USER_VARIABLE}), or FLOE_HOME to the home of "
            "the platform that runs it",
        )
    user = os.environ.get(USER_VARIABLE) or DEFAULT_USER
    return Registry(f"http://{host}", user, SecretStr(password))


def fetch(text: str, named_in: str) -> Path:
    """The manifest ``text`` names, as a file in floe's cache. ``named_in`` says where the
    reference was written, for the error a user reads."""
    where = f"{named_in}: platform.manifest '{text}'"
    try:
        ref = Reference.parse(text)
    except ValueError as exc:
        raise SpecLoadError(
            f"{named_in}: platform.manifest {exc}", hint="fix platform.manifest in floe.yaml"
        ) from None
    if ref.digest and _cached(ref.digest).is_file():
        return _cached(ref.digest)  # pinned and already here: no registry needed
    try:
        client = registry(ref.host)
        digest = ref.digest or client.resolve(ref.repo, str(ref.tag))
        if digest is None:
            held = client.tags(ref.repo)
            raise SpecLoadError(
                f"{where} names nothing in the registry"
                + (f" ({ref.repo} holds {', '.join(held)})" if held else f" (no {ref.repo} there)"),
                hint="publish it with 'floe manifest push manifest.yaml', or fix the tag",
            )
        path = _cached(digest)
        if not path.is_file():
            _pull(client, ref.repo, digest, path)
    except SpecLoadError:
        raise
    except FloeError as exc:
        raise SpecLoadError(
            f"{where} cannot be pulled: {exc.message}",
            hint=exc.hint or "check the reference and the registry",
        ) from None
    return path


def _cached(digest: str) -> Path:
    return config.cache_dir() / "manifests" / digest.split(":", 1)[-1] / FILE


def _pull(client: Registry, repo: str, digest: str, path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="floe-manifest-") as tmp:
        files = client.pull(repo, digest, Path(tmp))  # each layer checked against its digest
        pulled = [f for f in files if f.name == FILE]
        if len(pulled) != 1:
            raise FloeError(f"{repo}@{digest} holds no {FILE}: it is not a platform manifest")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(pulled[0].read_bytes())
        partial.replace(path)


def push(client: Registry, manifest: Path, name: str, version: str) -> tuple[Reference, str]:
    """Publish ``manifest`` as ``platform/<name>:<version>``; the same bytes again change
    nothing, other bytes under a published version are refused."""
    import hashlib

    repo = f"platform/{name}"
    ref = Reference(client.host, repo, version, None)
    sha = hashlib.sha256(manifest.read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="floe-manifest-") as tmp:
        layer = Path(tmp) / FILE
        layer.write_bytes(manifest.read_bytes())
        summary = Path(tmp) / "config.json"
        summary.write_text(json.dumps({"name": name, "version": version, "sha256": sha}))
        existing = client.resolve(repo, version)
        if existing:
            if client.holds(repo, existing, [layer, summary]):
                return ref, existing
            raise FloeError(
                f"{ref} is already published with other content ({existing})",
                hint=f"raise metadata.version in {manifest.name} to publish a change",
            )
        return ref, client.push(repo, version, layer, summary, (LAYER_TYPE, CONFIG_TYPE))
