"""Bandit over floe's code and pip-audit over its pinned dependencies, with verdicts that never
claim more than the tools found out.

pip-audit looks each pinned package up in a vulnerability source; where none is reachable it
skips the package and still prints "No known vulnerabilities found". Here a skipped package is
counted as not audited, and an audit that looked nothing up says "not audited", never "pass".
These are also the security gate a promotion runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Literal

from floe.typedef import FloeModel

SEVERITIES = ("HIGH", "MEDIUM", "LOW")


class CodeScan(FloeModel):
    tool: str = "bandit"
    files: int
    lines: int
    findings: dict[str, int]
    blocking: list[str]

    @property
    def passed(self) -> bool:
        return self.findings["HIGH"] == 0 and self.findings["MEDIUM"] == 0


class DependencyAudit(FloeModel):
    tool: str = "pip-audit"
    verdict: Literal["audited", "partially audited", "not audited"]
    packages: int
    audited: int
    skipped: int
    vulnerabilities: list[str]
    reason: str = ""

    @property
    def passed(self) -> bool | None:
        """True/False when every package was looked up; None when that is unknown."""
        if self.verdict != "audited":
            return None
        return not self.vulnerabilities


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def scan_code(paths: list[Path]) -> CodeScan:
    """Bandit, recursive, every severity counted; HIGH and MEDIUM block."""
    result = subprocess.run(
        [_tool("bandit"), "-q", "-r", *map(str, paths), "-f", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"bandit failed (exit {result.returncode}): {result.stderr[-500:]}")
    report = json.loads(result.stdout)
    findings = dict.fromkeys(SEVERITIES, 0)
    blocking = []
    for issue in report["results"]:
        severity = issue["issue_severity"]
        findings[severity] = findings.get(severity, 0) + 1
        if severity in ("HIGH", "MEDIUM"):
            blocking.append(
                f"{issue['filename']}:{issue['line_number']} {issue['test_id']} "
                f"{issue['issue_text']}"
            )
    totals = report["metrics"]["_totals"]
    files = sum(1 for key in report["metrics"] if key != "_totals")
    return CodeScan(files=files, lines=int(totals["loc"]), findings=findings, blocking=blocking)


def audit_dependencies(lock: Path) -> DependencyAudit:
    """pip-audit of a fully pinned requirements file, without resolving anything again."""
    result = subprocess.run(
        [
            _tool("pip-audit"),
            "-r",
            str(lock),
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return DependencyAudit(
            verdict="not audited",
            packages=0,
            audited=0,
            skipped=0,
            vulnerabilities=[],
            reason=f"pip-audit exited {result.returncode}: {result.stderr.strip()[-300:]}",
        )
    deps = report["dependencies"]
    skipped = [d for d in deps if "skip_reason" in d]
    vulns = [
        f"{d['name']} {d.get('version', '')}: {v['id']}" for d in deps for v in d.get("vulns", [])
    ]
    audited = len(deps) - len(skipped)
    if audited == 0:
        verdict: Literal["audited", "partially audited", "not audited"] = "not audited"
        reason = "no vulnerability source was reachable: every package was skipped"
    elif skipped:
        verdict, reason = "partially audited", f"{len(skipped)} package(s) could not be looked up"
    else:
        verdict, reason = "audited", ""
    return DependencyAudit(
        verdict=verdict,
        packages=len(deps),
        audited=audited,
        skipped=len(skipped),
        vulnerabilities=vulns,
        reason=reason,
    )
