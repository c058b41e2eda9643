"""floe security scan: Bandit on floe's code, pip-audit on its pinned dependencies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from floe.cli.output import out

app = typer.Typer(help="Security scanning of the platform's code and dependencies.")


@app.command("scan")
def scan(
    lock: Annotated[
        Path, typer.Option(help="Pinned requirements to audit.", exists=True, dir_okay=False)
    ] = Path("requirements.lock"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the report as JSON.")
    ] = None,
) -> None:
    """Run Bandit over the floe package and pip-audit over LOCK. Exits 1 if Bandit finds a
    high or medium issue or pip-audit a vulnerability. A dependency audit that could not look
    packages up says "not audited" (exit 0): it never reports a pass it did not check."""
    import floe
    from floe.security.scan import audit_dependencies, scan_code

    code = scan_code([Path(floe.__file__).parent])
    deps = audit_dependencies(lock)
    console = out()
    console.print(
        f"bandit: {code.files} files, {code.lines} lines: {code.findings['HIGH']} high, "
        f"{code.findings['MEDIUM']} medium, {code.findings['LOW']} low -> "
        f"{'pass' if code.passed else 'FAIL'}",
        markup=False,
    )
    for line in code.blocking:
        console.print(f"  {line}", markup=False)
    audit_line = (
        f"pip-audit: {deps.verdict}: {deps.audited} of {deps.packages} packages looked up, "
        f"{len(deps.vulnerabilities)} known vulnerabilities"
    )
    console.print(audit_line + (f" ({deps.reason})" if deps.reason else ""), markup=False)
    for vuln in deps.vulnerabilities:
        console.print(f"  {vuln}", markup=False)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        report = {"bandit": code.model_dump(), "pip_audit": deps.model_dump()}
        output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {output}", markup=False)
    if not code.passed or deps.vulnerabilities:
        raise typer.Exit(1)
