"""Push, promote, approve, reject and roll back: the promotion rules in one place.

Environments follow each other (dev -> staging -> prod, one step at a time). The artifact moves
by digest: the bytes that passed the gates are the bytes the next environment gets, signature
included. Every step, refused ones too, lands in the audit trail before floe answers.
"""

from __future__ import annotations

import getpass
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pydantic import SecretStr

from floe.errors import FloeError, PromotionBlockedError, PromotionError
from floe.observability.logging import get_logger
from floe.platform import secrets as sec
from floe.platform.environments import ENVIRONMENTS, PROMOTED
from floe.platform.promotion_services import REGISTRY_USER, policy_folder
from floe.platform.services import PG_USER
from floe.platform.settings import PlatformSettings
from floe.promotion import deploy, gates, package
from floe.promotion.audit import AuditLog, AuditRecord
from floe.promotion.oci import Registry
from floe.promotion.signing import Signer

NEEDS_APPROVAL = {"prod"}
CURRENT = "current"  # the tag an environment deploys
log = get_logger("floe.promotion")
security_log = get_logger("floe.security")


def principal(explicit: str | None = None) -> str:
    """Who acts: --as, else FLOE_PRINCIPAL, else the operating-system user."""
    return explicit or os.environ.get("FLOE_PRINCIPAL") or getpass.getuser()


def tag_of(version: str) -> str:
    return version.replace("+", "_")  # '+' is not allowed in an OCI tag


@dataclass(frozen=True)
class Outcome:
    request_id: str
    product: str
    version: str
    digest: str
    from_env: str | None
    to_env: str
    status: str  # pushed | unchanged | promoted | awaiting approval | rejected | rolled back
    gates: tuple[gates.GateResult, ...] = ()


class Promotions:
    def __init__(self, settings: PlatformSettings, secrets: dict[str, SecretStr]) -> None:
        self.settings = settings
        self.registry = Registry(
            settings.url("registry"), REGISTRY_USER, secrets[sec.REGISTRY_PASSWORD]
        )
        self.home = settings.home / "promotion"
        self.signer = Signer(
            self.home / "keys",
            secrets[sec.SIGNING_KEY_PASSWORD],
            self.registry.host,
            REGISTRY_USER,
            secrets[sec.REGISTRY_PASSWORD],
        )
        self.audit = AuditLog(settings.port("postgres"), PG_USER, secrets[sec.PG_PASSWORD])

    # ------------------------------------------------------------------ helpers

    def trusted_key(self, env: str) -> Path:
        """The public key ``env`` verifies signatures with; the platform's own by default."""
        path = self.home / "trust" / f"{env}.pub"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.signer.ensure_keys(), path)
        return path

    def _event(self, request_id: str, action: str, actor: str, product: str, **fields: Any) -> None:
        self.audit.record(request_id, action, actor, product, **fields)
        log.info(f"promotion.{action}", request=request_id, actor=actor, product=product, **fields)

    def _refuse(self, actor: str, product: str, message: str, hint: str, **fields: Any) -> NoReturn:
        self._event(_new_id(), "refused", actor, product, reason=message, **fields)
        raise PromotionError(message, hint=hint)

    def _check_envs(self, actor: str, product: str, source: str, target: str) -> None:
        fields = {"from_env": source, "to_env": target}
        for env in (source, target):
            if env not in ENVIRONMENTS:
                self._refuse(
                    actor,
                    product,
                    f"'{env}' is not an environment",
                    f"use one of {', '.join(ENVIRONMENTS)}",
                    **fields,
                )
        if source == target:
            self._refuse(
                actor,
                product,
                f"{product} cannot be promoted from {source} to itself",
                "pass another --to",
                **fields,
            )
        expected = ENVIRONMENTS[ENVIRONMENTS.index(source) + 1 : ENVIRONMENTS.index(source) + 2]
        if list(expected) != [target]:
            after = expected[0] if expected else "nothing (it is the last)"
            self._refuse(
                actor,
                product,
                f"promotion goes {' -> '.join(ENVIRONMENTS)} one step at a time: "
                f"after {source} comes {after}, not {target}",
                "promote to the next environment first",
                **fields,
            )

    def _deploy(self, product: str, version: str, digest: str, source: str, target: str) -> None:
        """Copy the manifest and its signature by digest; the target's 'current' moves to it,
        and the target's code location serves it."""
        src, dst = f"{source}/{product}", f"{target}/{product}"
        self.registry.copy(src, digest, dst, [tag_of(version), CURRENT])
        sig_tag = digest.replace(":", "-") + ".sig"
        sig_digest = self.registry.resolve(src, sig_tag)
        if sig_digest:
            self.registry.copy(src, sig_digest, dst, [sig_tag])
        self._serve(product, version, digest, target)

    def _serve(self, product: str, version: str, digest: str, env: str) -> None:
        if env in PROMOTED:  # dev serves the platform's own workspace
            deploy.deploy(self.settings, self.registry, env, product, version, digest)

    # ------------------------------------------------------------------ commands

    def push(self, folder: Path, actor: str) -> Outcome:
        """Pack, push to dev and sign, once per content: a version is never overwritten."""
        artifacts = package.read(folder)
        product, version = artifacts.product.name, artifacts.product.version
        repo = f"dev/{product}"
        request_id = _new_id()
        with tempfile.TemporaryDirectory(prefix="floe-push-") as tmp:
            layer = package.pack(folder, Path(tmp) / "artifact.tar.gz")
            config = package.write_config(artifacts, Path(tmp) / "config.json")
            existing = self.registry.resolve(repo, tag_of(version))
            if existing:
                if self.registry.holds(repo, existing, [layer, config]):
                    return Outcome(request_id, product, version, existing, None, "dev", "unchanged")
                self._refuse(
                    actor,
                    product,
                    f"{product} {version} is already in dev as {existing}, with other content",
                    f"raise metadata.version in {product}'s floe.yaml for a new build",
                    version=version,
                    to_env="dev",
                )
            digest = self.registry.push(repo, tag_of(version), layer, config)
        self.registry.put_manifest(repo, CURRENT, self.registry.manifest(repo, digest))
        self.signer.sign(self.registry.ref(repo, digest))
        self._event(
            request_id,
            "pushed",
            actor,
            product,
            version=version,
            digest=digest,
            to_env="dev",
            reason="packed, pushed and signed",
        )
        return Outcome(request_id, product, version, digest, None, "dev", "pushed")

    def promote(
        self, product: str, source: str, target: str, version: str | None, actor: str
    ) -> Outcome:
        """Gates in order (signature, policy, security); all pass -> deployed, or waiting for
        approval where the target needs it. Any failure blocks and names the gate."""
        self._check_envs(actor, product, source, target)
        repo = f"{source}/{product}"
        reference = tag_of(version) if version else CURRENT
        digest = self.registry.resolve(repo, reference)
        if digest is None:
            held = [t for t in self.registry.tags(repo) if t != CURRENT and not t.endswith(".sig")]
            what = f"version {version} of {product}" if version else product
            self._refuse(
                actor,
                product,
                f"{what} is not in {source}"
                + (f" (it holds {', '.join(held)})" if held else " (nothing of it is there)"),
                f"push it with 'floe artifact push {product}'"
                if source == "dev"
                else f"promote it into {source} first",
                version=version,
                from_env=source,
                to_env=target,
            )
        request_id = _new_id()
        fields: dict[str, Any] = {
            "version": version,
            "digest": digest,
            "from_env": source,
            "to_env": target,
        }
        self._event(request_id, "requested", actor, product, **fields)
        results = self._gates(request_id, actor, actor, product, source, target, digest, fields)
        artifact_version = str(fields["version"] or reference)
        self._block_if_failed(request_id, actor, product, results, fields, "promotion")
        if target in NEEDS_APPROVAL:
            status = "awaiting approval"
            self._event(request_id, "awaiting_approval", actor, product, **fields)
        else:
            status = "promoted"
            self._deploy(product, artifact_version, digest, source, target)
            self._event(request_id, "promoted", actor, product, **fields)
        return Outcome(
            request_id, product, artifact_version, digest, source, target, status, tuple(results)
        )

    def _gates(
        self,
        request_id: str,
        actor: str,
        requester: str,
        product: str,
        source: str,
        target: str,
        digest: str,
        fields: dict[str, Any],
    ) -> list[gates.GateResult]:
        """The three gates in order, each verdict recorded. The signature comes first: content
        that is not what was signed is not even read."""
        repo = f"{source}/{product}"
        ref = self.registry.ref(repo, digest)
        results = [gates.signature(self.signer, ref, self.trusted_key(target))]
        if results[0].passed:
            with tempfile.TemporaryDirectory(prefix="floe-promote-") as tmp:
                results += self._content_gates(
                    product, source, target, requester, repo, digest, Path(tmp), fields
                )
        for result in results:
            self._event(
                request_id,
                "gate",
                actor,
                product,
                gate=result.gate,
                verdict="pass" if result.passed else "fail",
                reason=result.reason,
                **fields,
            )
        return results

    def _block_if_failed(
        self,
        request_id: str,
        actor: str,
        product: str,
        results: list[gates.GateResult],
        fields: dict[str, Any],
        what: str,
    ) -> None:
        failed = [r for r in results if not r.passed]
        if not failed:
            return
        reasons = "\n".join(f"  - {r.gate} gate: {r.reason}" for r in failed)
        self._event(
            request_id,
            "blocked",
            actor,
            product,
            reason="; ".join(r.gate for r in failed),
            **fields,
        )
        raise PromotionBlockedError(
            f"{what} {request_id} of {product} {fields['version'] or '(version unverified)'} from "
            f"{fields['from_env']} to "
            f"{fields['to_env']} is blocked; nothing was promoted:\n{reasons}",
            hint="fix the artifact, push a new version and promote that",
        )

    def _content_gates(
        self,
        product: str,
        source: str,
        target: str,
        actor: str,
        repo: str,
        digest: str,
        tmp: Path,
        fields: dict[str, Any],
    ) -> list[gates.GateResult]:
        """Policy and security, on the artifact's bytes as pulled by digest."""
        try:
            content = self._content(repo, digest, tmp)
        except FloeError as exc:  # bytes that are not what was signed, or no floe artifact
            return [gates.GateResult("security", False, exc.message)]
        fields["version"] = str(content["version"])
        policy_input = {
            "product": product,
            "source": source,
            "target": target,
            "requested_by": actor,
            "digest": digest,
            "artifact": content,
            "platform": {"manifest_sha256": self.settings.manifest_sha256},
        }
        return [
            gates.policy(
                self.settings.url("policy_gate"), policy_input, policy_folder(self.settings)
            ),
            gates.security(tmp / "content"),
        ]

    def _content(self, repo: str, digest: str, tmp: Path) -> dict[str, Any]:
        """Pull the artifact by digest and read what the policies decide on from its bytes."""
        return package.summary(package.read(package.pull(self.registry, repo, digest, tmp)))

    def _pending(self, request_id: str, actor: str, decision: str) -> tuple[AuditRecord, str]:
        """The request's last row, which must be waiting for approval, and who requested it."""
        rows = self.audit.request(request_id)
        if not rows:
            self._refuse(
                actor,
                "?",
                f"there is no promotion request '{request_id}'",
                "see the requests with 'floe promote history PRODUCT'",
            )
        last, requester = rows[-1], rows[0].actor
        if last.action != "awaiting_approval":
            self._refuse(
                actor,
                last.product,
                f"request {request_id} is not waiting for approval (it is {last.action})",
                "only a request to prod whose gates passed waits for approval",
                **_fields(last),
            )
        if actor == requester:
            security_log.warning(
                "security.privilege_violation",
                principal=actor,
                action=f"{decision} own promotion request",
                request=request_id,
                product=last.product,
                to_env=last.to_env,
            )
            self._refuse(
                actor,
                last.product,
                f"{actor} requested {request_id} and cannot {decision} it: "
                "a production promotion needs a second principal",
                "ask another operator to run 'floe promote approve' (or reject)",
                **_fields(last),
            )
        return last, requester

    def approve(self, request_id: str, actor: str) -> Outcome:
        row, requester = self._pending(request_id, actor, "approve")
        fields = _fields(row)
        assert row.version and row.digest and row.from_env and row.to_env
        # The gates run again: the source or the policies may have changed since the request.
        results = self._gates(
            request_id, actor, requester, row.product, row.from_env, row.to_env, row.digest, fields
        )
        self._block_if_failed(request_id, actor, row.product, results, fields, "approval of")
        self._event(request_id, "approved", actor, row.product, **fields)
        self._deploy(row.product, row.version, row.digest, row.from_env, row.to_env)
        self._event(request_id, "promoted", actor, row.product, **fields)
        return Outcome(
            request_id,
            row.product,
            row.version,
            row.digest,
            row.from_env,
            row.to_env,
            "promoted",
            tuple(results),
        )

    def reject(self, request_id: str, actor: str, reason: str) -> Outcome:
        row, _ = self._pending(request_id, actor, "reject")
        assert row.version and row.digest and row.to_env
        self._event(request_id, "rejected", actor, row.product, reason=reason, **_fields(row))
        return Outcome(
            request_id, row.product, row.version, row.digest, row.from_env, row.to_env, "rejected"
        )

    def rollback(self, product: str, env: str, actor: str) -> Outcome:
        """Deploy again the digest ``env`` ran before its current one."""
        if env not in ENVIRONMENTS:
            self._refuse(
                actor,
                product,
                f"'{env}' is not an environment",
                f"use one of {', '.join(ENVIRONMENTS)}",
            )
        repo = f"{env}/{product}"
        current = self.registry.resolve(repo, CURRENT)
        deployed = [
            r
            for r in self.audit.history(product)
            if r.to_env == env and r.action in ("pushed", "promoted", "rolled_back") and r.digest
        ]
        digests: list[str] = []
        for row in deployed:  # the sequence of deployments, repeats collapsed
            if not digests or digests[-1] != row.digest:
                digests.append(str(row.digest))
        before = (
            digests[: len(digests) - 1 - digests[::-1].index(current)] if current in digests else []
        )
        previous = [d for d in before if d != current]
        if current is None or not previous:
            self._refuse(
                actor,
                product,
                f"{product} has no earlier deployment in {env} to roll back to",
                "see what ran there with 'floe promote history " + product + "'",
                to_env=env,
            )
        target = previous[-1]
        version = next(r.version for r in reversed(deployed) if r.digest == target)
        request_id = _new_id()
        self.registry.put_manifest(repo, CURRENT, self.registry.manifest(repo, target))
        self._serve(product, str(version), target, env)
        self._event(
            request_id,
            "rolled_back",
            actor,
            product,
            version=version,
            digest=target,
            to_env=env,
            reason=f"{env} ran {current}, now {target} again",
        )
        return Outcome(request_id, product, str(version), target, env, env, "rolled back")

    def history(self, product: str) -> list[AuditRecord]:
        return self.audit.history(product)

    def deployed(self, product: str) -> dict[str, str | None]:
        """The digest each environment deploys now, read from the registry."""
        return {env: self.registry.resolve(f"{env}/{product}", CURRENT) for env in ENVIRONMENTS}


def _fields(row: AuditRecord) -> dict[str, Any]:
    """What identifies a request's artifact and step, as its audit rows carry it."""
    return {
        "version": row.version,
        "digest": row.digest,
        "from_env": row.from_env,
        "to_env": row.to_env,
    }


def _new_id() -> str:
    return "pr-" + uuid.uuid4().hex[:10]
