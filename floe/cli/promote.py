"""floe artifact / floe promote: signed OCI artifacts promoted dev -> staging -> prod."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from floe.cli.output import out

if TYPE_CHECKING:
    from floe.promotion.workflow import Outcome, Promotions


class _RequestByDefault(typer.core.TyperGroup):
    """``floe promote PRODUCT --to staging`` reads as ``floe promote request PRODUCT ...``:
    a first argument that is no subcommand is a product."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["request", *args]
        return list(super().parse_args(ctx, args))


artifact_app = typer.Typer(
    help="Signed OCI artifacts of compiled products in the platform's registry."
)
app = typer.Typer(
    cls=_RequestByDefault,
    help="Promote a product's artifact dev -> staging -> prod through the signature, policy and "
    "security gates; prod also needs a second principal's approval. "
    "'floe promote PRODUCT --to staging' requests a promotion.",
)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Platform folder [default: FLOE_HOME or ~/.floe]."),
]
AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Who acts [default: FLOE_PRINCIPAL or the system user]."),
]


def _promotions(home: Path | None) -> Promotions:
    from floe.platform.local import LocalPlatform
    from floe.platform.settings import load
    from floe.promotion.workflow import Promotions

    platform = LocalPlatform(load(home))
    return Promotions(platform.settings, platform.secrets)


def _actor(name: str | None) -> str:
    from floe.promotion.workflow import principal

    return principal(name)


def _print(outcome: Outcome) -> None:
    console = out()
    for gate in outcome.gates:
        mark = "pass" if gate.passed else "FAIL"
        console.print(f"  {gate.gate:<10} {mark}  {gate.reason}", markup=False, highlight=False)
    where = f"{outcome.from_env} -> {outcome.to_env}" if outcome.from_env else outcome.to_env
    console.print(
        f"{outcome.product} {outcome.version} {outcome.digest} {where}: {outcome.status} "
        f"(request {outcome.request_id})",
        markup=False,
        highlight=False,
    )


@artifact_app.command("push")
def push(
    product: Annotated[str, typer.Argument(help="Product name, as in its floe.yaml.")],
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-o",
            help="Where 'floe compile' wrote it [default: the folder of the platform's "
            "workspace, else target/floe].",
        ),
    ] = None,
    actor: AsOpt = None,
    home: HomeOpt = None,
) -> None:
    """Pack the compiled PRODUCT (artifact, generated files, dbt project), push it to the dev
    environment tagged with its version, and sign it with the platform's cosign key."""
    from floe.errors import PromotionError

    promotions = _promotions(home)
    served = promotions.settings.workspace
    base = output_dir or (served.parent if served else Path("target/floe"))
    folder = base / product
    if not (folder / "compiled_artifacts.json").is_file():
        raise PromotionError(
            f"{folder} holds no compiled artifact of '{product}'",
            hint=f"run 'floe compile' on the product, or pass --output-dir (looked in {base})",
        )
    _print(promotions.push(folder, _actor(actor)))


@app.command("request")
def request(
    product: Annotated[str, typer.Argument(help="Product name.")],
    to: Annotated[str, typer.Option("--to", help="Target environment: staging or prod.")],
    source: Annotated[
        str | None,
        typer.Option("--from", help="Source environment [default: the one before --to]."),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Version to promote [default: what the source deploys]."),
    ] = None,
    actor: AsOpt = None,
    home: HomeOpt = None,
) -> None:
    """Run the gates and promote by digest; a promotion to prod waits for approval."""
    from floe.platform.environments import ENVIRONMENTS

    if source is None:
        index = ENVIRONMENTS.index(to) if to in ENVIRONMENTS else 0
        source = ENVIRONMENTS[max(index - 1, 0)]
    outcome = _promotions(home).promote(product, source, to, version, _actor(actor))
    _print(outcome)
    if outcome.status == "awaiting approval":
        out().print(
            f"waiting for a second principal: floe promote approve {outcome.request_id} --as NAME",
            markup=False,
        )


@app.command("approve")
def approve(
    request_id: Annotated[str, typer.Argument(help="Request id, e.g. pr-1a2b3c4d5e.")],
    actor: AsOpt = None,
    home: HomeOpt = None,
) -> None:
    """Approve a promotion to prod requested by someone else; it is deployed at once."""
    _print(_promotions(home).approve(request_id, _actor(actor)))


@app.command("reject")
def reject(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")],
    actor: AsOpt = None,
    home: HomeOpt = None,
) -> None:
    """Reject a promotion to prod requested by someone else."""
    _print(_promotions(home).reject(request_id, _actor(actor), reason))


@app.command("rollback")
def rollback(
    product: Annotated[str, typer.Argument(help="Product name.")],
    env: Annotated[str, typer.Option("--env", help="Environment to roll back.")],
    actor: AsOpt = None,
    home: HomeOpt = None,
) -> None:
    """Deploy again the digest ENV ran before its current one."""
    _print(_promotions(home).rollback(product, env, _actor(actor)))


@app.command("history")
def history(
    product: Annotated[str, typer.Argument(help="Product name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Rows and deployments as JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """The audit trail of PRODUCT: who did what, with which artifact, when, and each gate;
    then the digest each environment deploys now."""
    import json

    promotions = _promotions(home)
    rows = promotions.history(product)
    deployed = promotions.deployed(product)
    if as_json:
        body = {"history": [r.model_dump(mode="json") for r in rows], "deployed": deployed}
        out().print(json.dumps(body, indent=2), markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(
        "when (UTC)",
        "request",
        "action",
        "who",
        "version",
        "digest",
        "from",
        "to",
        "gate",
        "verdict",
        "reason",
    )
    for r in promotions.history(product):
        table.add_row(
            f"{r.at:%Y-%m-%d %H:%M:%S}",
            r.request_id,
            r.action,
            r.actor,
            r.version or "",
            (r.digest or "")[:19],
            r.from_env or "",
            r.to_env or "",
            r.gate or "",
            r.verdict or "",
            r.reason,
        )
    out().print(table)
    deployed = promotions.deployed(product)
    for env, digest in deployed.items():
        out().print(f"{env}: {digest or '(nothing deployed)'}", markup=False, highlight=False)
