"""The three gates a promotion passes, each a real check on the artifact's own bytes: its
signature (cosign, against the key the target environment trusts), the platform's policies
(Rego, asked over OPA's data API) and a security scan of its content. A gate that cannot answer
fails: promotion is fail-closed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from floe.promotion.signing import Signer
from floe.security.scan import scan_code

POLICY_RULE = "floe/promotion/deny"
# Credentials written into the content itself; references like {{ env_var('X') }} never match.
SECRET_PATTERNS = {
    "an AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a hard-coded credential": re.compile(
        r"(?i)\b(password|passwd|secret|token|api_key|secret_access_key)\b\s*[:=]\s*"
        r"['\"][^'\"{}\s]{6,}['\"]"
    ),
}
SCANNED_SUFFIXES = {".sql", ".yml", ".yaml", ".json", ".py", ".csv", ".md", ".txt"}


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    reason: str


def signature(signer: Signer, ref: str, trusted_key: Path) -> GateResult:
    verdict = signer.verify(ref, trusted_key)
    return GateResult("signature", verdict.ok, verdict.reason)


def policy(url: str, input_doc: dict[str, Any], folder: Path) -> GateResult:
    endpoint = f"{url}/v1/data/{POLICY_RULE}"
    try:
        response = requests.post(endpoint, json={"input": input_doc}, timeout=15)
    except requests.RequestException as exc:
        return GateResult(
            "policy",
            False,
            f"the policy gate at {url} cannot be reached ({type(exc).__name__}): "
            "promotion fails closed",
        )
    if response.status_code != 200:
        return GateResult(
            "policy",
            False,
            f"the policy gate answered {response.status_code}: {response.text[:300]}",
        )
    body = response.json()
    if "result" not in body:
        return GateResult(
            "policy",
            False,
            f"no promotion policy is loaded (data.{POLICY_RULE.replace('/', '.')} is undefined): "
            f"put the platform's .rego policies in {folder}",
        )
    denied = sorted(str(msg) for msg in body["result"])
    if denied:
        return GateResult("policy", False, "; ".join(denied))
    return GateResult("policy", True, "no policy denies it")


def _secrets(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in SCANNED_SUFFIXES:
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            for what, pattern in SECRET_PATTERNS.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(folder)}:{number} holds {what}")
    return found


def security(folder: Path) -> GateResult:
    """Secrets in any text the artifact carries, and Bandit over its Python."""
    problems = _secrets(folder)
    python = sorted(folder.rglob("*.py"))
    code = scan_code(python) if python else None
    if code is not None and not code.passed:
        problems.extend(f"Bandit: {line}" for line in code.blocking)
    if problems:
        return GateResult("security", False, "; ".join(problems))
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    bandit = f", Bandit found nothing in {len(python)} Python file(s)" if python else ""
    return GateResult("security", True, f"no secret in {files} file(s){bandit}")
