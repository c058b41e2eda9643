"""Steps of US7: promotion through the platform's real registry, signer, policy gate and audit
table. Every outcome is read back from those (registry API, cosign, PostgreSQL), never from
floe's own return values."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import oras.client
import pytest
import requests
import yaml
from pytest_bdd import given, parsers, then, when

from floe.compiler import compile_pipeline
from floe.platform.secrets import REGISTRY_PASSWORD, S3_ACCESS_KEY, S3_SECRET_KEY
from steps.common import CommandResult
from steps.compiler import _run
from steps.platform import LivePlatform, demo_copy

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REQUEST_RE = re.compile(r"\b(pr-[0-9a-f]{10})\b")


@pytest.fixture
def promo() -> dict[str, Any]:
    """What the scenario set up: product, build folder, last request id, digests by version."""
    return {"digests": {}}


def _registry(live: LivePlatform, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method,
        f"{live.url('registry')}/v2/{path}",
        auth=("floe", live.secret(REGISTRY_PASSWORD)),
        timeout=30,
        **kwargs,
    )


def _resolve(live: LivePlatform, repo: str, tag: str) -> str | None:
    response = _registry(live, "HEAD", f"{repo}/manifests/{tag}", headers={"Accept": MANIFEST})
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.status_code
    return str(response.headers["Docker-Content-Digest"])


def _audit(live: LivePlatform, column: str, value: str) -> list[dict[str, Any]]:
    assert column in ("request_id", "product")
    with live.pg("floe") as conn, conn.cursor() as cur:
        cur.execute(
            f"select id, at, request_id, action, actor, version, digest, from_env, to_env, gate, "
            f"verdict, reason from promotion_audit where {column} = %s order by id",
            (value,),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _promote(live: LivePlatform, promo: dict[str, Any], args: list[str]) -> CommandResult:
    result = _run(["promote", *args, "--home", str(live.settings.home)])
    found = REQUEST_RE.search(result.output)
    if found:
        promo["request"] = found.group(1)
    return result


def _push(live: LivePlatform, promo: dict[str, Any], actor: str) -> None:
    build = promo["build"]
    compile_pipeline(promo["source"], output_dir=build)
    result = _run(
        [
            "artifact",
            "push",
            promo["product"],
            "-o",
            str(build),
            "--as",
            actor,
            "--home",
            str(live.settings.home),
        ]
    )
    assert result.exit_code == 0, result.output
    version = yaml.safe_load((promo["source"] / "floe.yaml").read_text())["metadata"]["version"]
    digest = _resolve(live, f"dev/{promo['product']}", version.replace("+", "_"))
    assert digest and digest in result.stdout, result.stdout
    promo["digests"][version] = digest
    promo["latest"] = digest


def _copy(tmp_path: Path, promo: dict[str, Any], name: str, version: str | None = None) -> Path:
    source = demo_copy(tmp_path / "products", name)
    if version:
        spec = yaml.safe_load((source / "floe.yaml").read_text())
        spec["metadata"]["version"] = version
        (source / "floe.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    promo.update(product=name, source=source, build=tmp_path / "build")
    return source


## Given


@given(
    parsers.re(
        r'the product "(?P<name>[a-z0-9-]+)", a copy of "customer-360"'
        r'(?: at version "(?P<version>[^"]+)")?, compiled and pushed to dev by "(?P<actor>\w+)"'
    )
)
def pushed_copy(
    live: LivePlatform,
    promo: dict[str, Any],
    tmp_path: Path,
    name: str,
    version: str | None,
    actor: str,
) -> None:
    _copy(tmp_path, promo, name, version)
    _push(live, promo, actor)


@given(
    parsers.parse(
        'the product "{name}", a copy of "customer-360" whose model "{model}" holds the line '
        '"{line}", compiled and pushed to dev by "{actor}"'
    )
)
def leaky_copy(
    live: LivePlatform,
    promo: dict[str, Any],
    tmp_path: Path,
    name: str,
    model: str,
    line: str,
    actor: str,
) -> None:
    source = _copy(tmp_path, promo, name)
    (sql,) = (source / "models").rglob(f"{model}.sql")
    sql.write_text(f"{line}\n{sql.read_text()}")
    _push(live, promo, actor)


@given(
    parsers.parse(
        'the product "{name}" at version "{version}" with a changed model, compiled and pushed '
        'to dev by "{actor}"'
    )
)
def new_version(
    live: LivePlatform, promo: dict[str, Any], name: str, version: str, actor: str
) -> None:
    source = promo["source"]
    spec = yaml.safe_load((source / "floe.yaml").read_text())
    spec["metadata"]["version"] = version
    (source / "floe.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (sql,) = (source / "models").rglob("gold_segments.sql")
    sql.write_text(sql.read_text() + "\n-- reviewed for release " + version + "\n")
    _push(live, promo, actor)


@given(parsers.parse('"{actor}" has promoted "{name}" from "{source}" to "{target}"'))
def has_promoted(
    live: LivePlatform, promo: dict[str, Any], actor: str, name: str, source: str, target: str
) -> None:
    result = _promote(live, promo, [name, "--from", source, "--to", target, "--as", actor])
    assert result.exit_code == 0, result.output


@given(
    parsers.parse('"{name}" is in prod, requested by "{requester}" and approved by "{approver}"')
)
def in_prod(
    live: LivePlatform, promo: dict[str, Any], name: str, requester: str, approver: str
) -> None:
    for source, target in (("dev", "staging"), ("staging", "prod")):
        result = _promote(live, promo, [name, "--from", source, "--to", target, "--as", requester])
        assert result.exit_code == 0, result.output
    approved = _promote(live, promo, ["approve", promo["request"], "--as", approver])
    assert approved.exit_code == 0, approved.output


@given(
    parsers.parse(
        'someone overwrites the tags "{tags}" of "{repo}" with other content straight through '
        "the registry"
    )
)
def overwrite(live: LivePlatform, tmp_path: Path, tags: str, repo: str) -> None:
    """oras, not floe: the way someone with registry credentials would replace a build."""
    layer = tmp_path / "artifact.tar.gz"
    with tarfile.open(layer, "w:gz") as tar:
        payload = tmp_path / "compiled_artifacts.json"
        payload.write_text('{"product": "not what was signed"}')
        tar.add(payload, arcname="compiled_artifacts.json")
    config = tmp_path / "config.json"
    config.write_text("{}")
    host = live.url("registry").split("://", 1)[1]
    client = oras.client.OrasClient(hostname=host, insecure=True, auth_backend="basic")
    client.auth.set_basic_auth("floe", live.secret(REGISTRY_PASSWORD))
    before = _resolve(live, repo, "current")
    for tag in tags.split(", "):
        pushed = client.push(
            target=f"{host}/{repo}:{tag}",
            files=[f"{layer}:application/vnd.floe.artifact.layer.v1.tar+gzip"],
            manifest_config=f"{config}:application/vnd.floe.artifact.config.v1+json",
            disable_path_validation=True,
        )
        assert pushed.status_code == 201
    after = _resolve(live, repo, "current")
    assert after and after != before


@given(
    parsers.parse('someone flips bytes of the layer blob of "{repo}" in the registry\'s storage')
)
def flip_blob(live: LivePlatform, repo: str) -> None:
    """The registry serves blobs from its folder without hashing them again."""
    manifest = _registry(
        live, "GET", f"{repo}/manifests/current", headers={"Accept": MANIFEST}
    ).json()
    (layer,) = manifest["layers"]
    hexdigest = layer["digest"].split(":", 1)[1]
    blobs = live.settings.home / "registry" / "data" / "docker" / "registry" / "v2" / "blobs"
    data = blobs / "sha256" / hexdigest[:2] / hexdigest / "data"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    served = _registry(live, "GET", f"{repo}/blobs/{layer['digest']}")
    assert served.status_code == 200 and served.content == bytes(raw)


@given("the policy gate service is stopped")
def gate_stopped(live: LivePlatform, request: pytest.FixtureRequest) -> None:
    gate = live.platform.service("policy-gate")
    request.addfinalizer(lambda: (gate.start(), gate.wait_healthy(30)))
    assert gate.stop()
    assert gate.pid() is None
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{live.url('policy_gate')}/health", timeout=5)


## When


@when(
    parsers.parse('"{actor}" promotes "{name}" from "{source}" to "{target}"'),
    target_fixture="command",
)
def promotes(
    live: LivePlatform, promo: dict[str, Any], actor: str, name: str, source: str, target: str
) -> CommandResult:
    return _promote(live, promo, [name, "--from", source, "--to", target, "--as", actor])


@when(
    parsers.parse('"{actor}" promotes "{name}" from "{source}" to "{target}" with JSON logs'),
    target_fixture="command",
)
def promotes_json(
    live: LivePlatform, promo: dict[str, Any], actor: str, name: str, source: str, target: str
) -> CommandResult:
    result = _run(
        [
            "--log-format",
            "json",
            "promote",
            name,
            "--from",
            source,
            "--to",
            target,
            "--as",
            actor,
            "--home",
            str(live.settings.home),
        ]
    )
    promo["request"] = REQUEST_RE.findall(result.stdout)[-1]
    return result


@when(parsers.parse('"{actor}" approves that request'), target_fixture="command")
def approves(live: LivePlatform, promo: dict[str, Any], actor: str) -> CommandResult:
    request_id = promo["request"]
    home = str(live.settings.home)
    result = _run(
        ["--log-format", "json", "promote", "approve", request_id, "--as", actor, "--home", home]
    )
    promo["request"] = request_id  # a refusal is recorded under a request id of its own
    return result


@when(parsers.parse('"{actor}" rolls back "{name}" in "{env}"'), target_fixture="command")
def rolls_back(
    live: LivePlatform, promo: dict[str, Any], actor: str, name: str, env: str
) -> CommandResult:
    return _promote(live, promo, ["rollback", name, "--env", env, "--as", actor])


@when("the policy gate service is started again")
def gate_started(live: LivePlatform) -> None:
    gate = live.platform.service("policy-gate")
    gate.start()
    gate.wait_healthy(30)


@when(parsers.parse('floe promote history runs for "{name}"'), target_fixture="command")
def history(live: LivePlatform, name: str) -> CommandResult:
    return _run(["promote", "history", name, "--json", "--home", str(live.settings.home)])


@when(parsers.parse('"{actor}" runs floe promote with "{arguments}"'), target_fixture="command")
def promote_args(
    live: LivePlatform, promo: dict[str, Any], actor: str, arguments: str
) -> CommandResult:
    return _promote(live, promo, [*arguments.split(), "--as", actor])


## Then


@then(parsers.parse('the output says "{text}"'))
def output_says(command: CommandResult, text: str) -> None:
    assert text in command.stdout, command.stdout


@then(
    parsers.parse(
        'the audit trail of that request holds the gates "{names}", each "{verdict}", then the '
        'action "{action}"'
    )
)
def audit_gates(
    live: LivePlatform, promo: dict[str, Any], names: str, verdict: str, action: str
) -> None:
    rows = _audit(live, "request_id", promo["request"])
    assert [r["action"] for r in rows] == ["requested", "gate", "gate", "gate", action]
    gates = [r for r in rows if r["action"] == "gate"]
    assert [g["gate"] for g in gates] == names.split(", ")
    assert {g["verdict"] for g in gates} == {verdict}
    assert {r["digest"] for r in rows} == {promo["digests"]["1.0.0"]}
    assert all(g["reason"] for g in gates)


@then(
    parsers.parse(
        'the audit trail of that request records the "{gate}" gate as "{verdict}" and the action '
        '"{action}"'
    )
)
def audit_gate_failed(
    live: LivePlatform, promo: dict[str, Any], gate: str, verdict: str, action: str
) -> None:
    rows = _audit(live, "request_id", promo["request"])
    (found,) = [r for r in rows if r["gate"] == gate]
    assert found["verdict"] == verdict
    assert rows[-1]["action"] == action
    assert (gate in rows[-1]["reason"]) == (verdict == "fail"), rows[-1]


@then(
    parsers.parse(
        'the registry\'s "{env}" repository of "{name}" holds dev\'s digest under the tags "{tags}"'
    )
)
def holds_digest(live: LivePlatform, promo: dict[str, Any], env: str, name: str, tags: str) -> None:
    expected = _resolve(live, f"dev/{name}", "current")
    assert expected == promo["latest"]  # what the push step read back for its version
    for tag in tags.split(", "):
        assert _resolve(live, f"{env}/{name}", tag) == expected, tag
    promo["verified"] = expected


@then(parsers.parse('the registry\'s "{env}" repository of "{name}" holds nothing'))
def holds_nothing(live: LivePlatform, env: str, name: str) -> None:
    response = _registry(live, "GET", f"{env}/{name}/tags/list")
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["code"] == "NAME_UNKNOWN"


@then(
    parsers.parse(
        'cosign verifies that digest in "{env}" with the key the "{trusted}" environment trusts'
    )
)
def cosign_verifies(
    live: LivePlatform, promo: dict[str, Any], tmp_path: Path, env: str, trusted: str
) -> None:
    host = live.url("registry").split("://", 1)[1]
    docker = tmp_path / "docker"
    docker.mkdir()
    token = base64.b64encode(f"floe:{live.secret(REGISTRY_PASSWORD)}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {host: {"auth": token}}}))
    key = live.settings.home / "promotion" / "trust" / f"{trusted}.pub"
    ref = f"{host}/{env}/{promo['product']}@{promo['verified']}"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cosign"),
            "verify",
            "--key",
            str(key),
            "--insecure-ignore-tlog=true",
            "--allow-insecure-registry",
            ref,
        ],
        env={"PATH": os.environ["PATH"], "DOCKER_CONFIG": str(docker), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (claim,) = json.loads(result.stdout)
    assert claim["critical"]["image"]["docker-manifest-digest"] == promo["verified"]


@then(
    parsers.parse(
        'the artifact pulled from "{env}" by that digest is "{name}" {version} with {models:d} '
        "models and its dbt project"
    )
)
def pulled(
    live: LivePlatform,
    promo: dict[str, Any],
    tmp_path: Path,
    env: str,
    name: str,
    version: str,
    models: int,
) -> None:
    host = live.url("registry").split("://", 1)[1]
    client = oras.client.OrasClient(hostname=host, insecure=True, auth_backend="basic")
    client.auth.set_basic_auth("floe", live.secret(REGISTRY_PASSWORD))
    (layer,) = client.pull(
        target=f"{host}/{env}/{name}@{promo['verified']}", outdir=str(tmp_path / "pull")
    )
    with tarfile.open(layer) as tar:
        members = tar.getnames()
        artifact = json.load(tar.extractfile("compiled_artifacts.json"))  # type: ignore[arg-type]
    assert artifact["product"]["name"] == name
    assert artifact["product"]["version"] == version
    assert len([t for t in artifact["transforms"] if t["resource_type"] == "model"]) == models
    sql = sorted(m for m in members if m.startswith("dbt/models/") and m.endswith(".sql"))
    assert len(sql) == models, members
    assert "dbt/dbt_project.yml" in members and "profiles.yml" in members


@then(
    parsers.parse(
        'the audit trail of that request shows it requested by "{requester}", its {n:d} gates '
        'passed again at approval by "{approver}", approved by "{approver2}", then "{action}"'
    )
)
def audit_approval(
    live: LivePlatform,
    promo: dict[str, Any],
    requester: str,
    n: int,
    approver: str,
    approver2: str,
    action: str,
) -> None:
    rows = _audit(live, "request_id", promo["request"])
    actions = [(r["action"], r["actor"]) for r in rows]
    assert actions[0] == ("requested", requester)
    waiting = actions.index(("awaiting_approval", requester))
    assert actions[waiting + 1 :] == [
        *[("gate", approver)] * n,
        ("approved", approver2),
        (action, approver2),
    ]
    again = rows[waiting + 1 : waiting + 1 + n]
    assert [r["gate"] for r in again] == ["signature", "policy", "security"]
    assert {r["verdict"] for r in again} == {"pass"}
    assert rows[-1]["to_env"] == "prod" and rows[-1]["from_env"] == "staging"


@then(
    parsers.parse(
        'the registry\'s "{env}" repository of "{name}" deploys the digest of version "{version}" '
        'as "current"'
    )
)
def deploys(live: LivePlatform, promo: dict[str, Any], env: str, name: str, version: str) -> None:
    assert _resolve(live, f"{env}/{name}", "current") == promo["digests"][version]


@then(
    parsers.parse(
        'the registry\'s "{env}" repository of "{name}" still holds version "{version}" under its '
        "own digest"
    )
)
def still_holds(
    live: LivePlatform, promo: dict[str, Any], env: str, name: str, version: str
) -> None:
    digest = _resolve(live, f"{env}/{name}", version)
    assert digest == promo["digests"][version]
    assert digest != _resolve(live, f"{env}/{name}", "current")


@then(
    parsers.parse(
        'the audit trail of "{name}" ends with "{action}" by "{actor}" to the digest of version '
        '"{version}"'
    )
)
def audit_ends_digest(
    live: LivePlatform, promo: dict[str, Any], name: str, action: str, actor: str, version: str
) -> None:
    last = _audit(live, "product", name)[-1]
    assert (last["action"], last["actor"]) == (action, actor)
    assert last["digest"] == promo["digests"][version]
    assert last["version"] == version and last["to_env"] == "prod"


@then(
    parsers.parse('the audit trail of "{name}" ends with "{action}" by "{actor}" saying "{reason}"')
)
def audit_ends_reason(live: LivePlatform, name: str, action: str, actor: str, reason: str) -> None:
    last = _audit(live, "product", name)[-1]
    assert (last["action"], last["actor"]) == (action, actor)
    assert reason in last["reason"]


@then(parsers.parse('the log holds the event "{event}" for "{name}" by "{actor}" with the digest'))
def log_event(
    command: CommandResult, promo: dict[str, Any], event: str, name: str, actor: str
) -> None:
    events = [json.loads(line) for line in command.stderr.splitlines() if line.startswith("{")]
    (found,) = [e for e in events if e.get("event") == event]
    assert (found["product"], found["actor"]) == (name, actor)
    assert found["digest"] == promo["digests"]["1.0.0"]
    assert found["request"] == promo["request"]


@then(
    parsers.parse(
        'the output lists the actions "{actions}" by "{actor}", each with the digest and a time'
    )
)
def history_lists(command: CommandResult, promo: dict[str, Any], actions: str, actor: str) -> None:
    rows = json.loads(command.stdout)["history"]
    assert [r["action"] for r in rows] == actions.split(", ")
    assert {r["actor"] for r in rows} == {actor}
    assert {r["digest"] for r in rows} == {promo["digests"]["1.0.0"]}
    times = [datetime.fromisoformat(r["at"]) for r in rows]
    assert all(t.utcoffset() == timedelta(0) for t in times), rows
    promo["history"] = rows


@then(parsers.parse('the audit table holds the same rows for "{name}", in time order'))
def audit_table(live: LivePlatform, promo: dict[str, Any], name: str) -> None:
    rows = _audit(live, "product", name)
    assert [r["id"] for r in rows] == [r["id"] for r in promo["history"]]
    times = [r["at"] for r in rows]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert [r["gate"] for r in rows if r["action"] == "gate"] == ["signature", "policy", "security"]


@then(
    parsers.parse(
        'PostgreSQL refuses to update or delete a row of the audit trail with "{message}"'
    )
)
def append_only(live: LivePlatform, promo: dict[str, Any], message: str) -> None:
    import psycopg2

    row = promo["history"][0]["id"]
    for statement in (
        "update promotion_audit set actor = 'mallory' where id = %s",
        "delete from promotion_audit where id = %s",
    ):
        with (
            live.pg("floe") as conn,
            conn.cursor() as cur,
            pytest.raises(psycopg2.errors.RaiseException, match=message),
        ):
            cur.execute(statement, (row,))
    (kept,) = [r for r in _audit(live, "product", promo["product"]) if r["id"] == row]
    assert kept["actor"] == "alice"


## Environments: what each one's Dagster location serves, runs and writes

RUN_TAGS = """query($f: RunsFilter) { runsOrError(filter: $f, limit: 1) { ... on Runs {
  results { runId status tags { key value } } } } }"""
JOB_TAGS = """query($s: PipelineSelector!) { pipelineOrError(params: $s) { __typename
  ... on Pipeline { tags { key value } } } }"""


def _graphql(live: LivePlatform, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(
        f"{live.url('dagster')}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def _warehouse(live: LivePlatform, warehouse: str) -> Any:
    """The platform's catalog, opened on one environment's warehouse with the platform's own
    (admin) identity: the reader is not the writer under test."""
    from pyiceberg.catalog import load_catalog

    key, secret = live.secret(S3_ACCESS_KEY), live.secret(S3_SECRET_KEY)
    return load_catalog(
        warehouse,
        type="rest",
        uri=live.url("iceberg"),
        warehouse=warehouse,
        credential=f"{key}:{secret}",
        **{
            "s3.endpoint": live.url("s3"),
            "s3.access-key-id": key,
            "s3.secret-access-key": secret,
            "s3.region": "us-east-1",
        },
    )


@when(parsers.parse('floe runs "{name}" in "{env}"'), target_fixture="command")
def runs_in(live: LivePlatform, name: str, env: str) -> CommandResult:
    return _run(["run", name, "--env", env, "--home", str(live.settings.home)])


@when(parsers.parse('floe run is asked for "{arguments}"'), target_fixture="command")
def run_asked(live: LivePlatform, arguments: str) -> CommandResult:
    return _run(["run", *arguments.split(), "--home", str(live.settings.home)])


@then(
    parsers.parse('Dagster\'s code location "{location}" serves the digest of version "{version}"')
)
def location_serves(live: LivePlatform, promo: dict[str, Any], location: str, version: str) -> None:
    env, product = location.split(".", 1)
    selector = {
        "repositoryLocationName": location,
        "repositoryName": "__repository__",
        "pipelineName": f"{product.replace('-', '_')}_pipeline",
    }
    job = _graphql(live, JOB_TAGS, {"s": selector})["pipelineOrError"]
    assert job["__typename"] == "Pipeline", job
    tags = {t["key"]: t["value"] for t in job["tags"]}
    assert tags == {"floe/environment": env, "floe/artifact-digest": promo["digests"][version]}


@then(
    parsers.parse(
        'Dagster ran it from the code location "{location}", tagged with the environment "{env}" '
        'and the digest of version "{version}"'
    )
)
def ran_from(
    live: LivePlatform,
    promo: dict[str, Any],
    command: CommandResult,
    location: str,
    env: str,
    version: str,
) -> None:
    filters = {"tags": [{"key": "dagster/code_location", "value": location}]}
    (run,) = _graphql(live, RUN_TAGS, {"f": filters})["runsOrError"]["results"]
    assert run["status"] == "SUCCESS"
    assert run["runId"][:8] in command.stdout, command.stdout
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["floe/environment"] == env
    assert tags["floe/artifact-digest"] == promo["digests"][version]


@then(
    parsers.parse(
        'the catalog\'s warehouse "{warehouse}" holds the {n:d} tables of "{namespace}", '
        '"{table}" with {rows:d} rows'
    )
)
def warehouse_holds(
    live: LivePlatform, warehouse: str, n: int, namespace: str, table: str, rows: int
) -> None:
    catalog = _warehouse(live, warehouse)
    tables = sorted(name for _, name in catalog.list_tables(namespace))
    assert len(tables) == n, tables
    loaded = catalog.load_table(f"{namespace}.{table}")
    assert loaded.location().startswith(f"s3://{warehouse}/{namespace}/"), loaded.location()
    assert loaded.scan().to_arrow().num_rows == rows


@then(parsers.parse('the catalog\'s warehouse "{warehouse}" holds no table of "{namespace}"'))
def warehouse_lacks(live: LivePlatform, warehouse: str, namespace: str) -> None:
    catalog = _warehouse(live, warehouse)
    assert (namespace,) not in catalog.list_namespaces()


@then(
    parsers.parse(
        'the storage identity of "{env}" writes into "{own}" but is refused in "{other}" and '
        '"{third}"'
    )
)
def identity_scoped(live: LivePlatform, env: str, own: str, other: str, third: str) -> None:
    from pyarrow import fs

    from floe.platform.catalog_access import PRINCIPALS_FILE

    lines = (live.settings.home / PRINCIPALS_FILE).read_text(encoding="utf-8").splitlines()
    known = dict(line.split("=", 1) for line in lines if "=" in line)
    prefix = f"FLOE_PRINCIPAL_ENVIRONMENT_{env.upper()}"
    s3 = fs.S3FileSystem(
        access_key=known[f"{prefix}_ID"],
        secret_key=known[f"{prefix}_SECRET"],
        endpoint_override=live.url("s3"),
        region="us-east-1",
        scheme="http",
    )
    outcome = {}
    for bucket in (own, other, third):
        path = f"{bucket}/promo_envs/gold_customer_360/data/_probe"
        try:
            with s3.open_output_stream(path) as out:
                out.write(b"probe")
            s3.delete_file(path)
            outcome[bucket] = "written"
        except OSError as exc:
            outcome[bucket] = "ACCESS_DENIED" if "ACCESS_DENIED" in str(exc) else str(exc)
    assert outcome == {own: "written", other: "ACCESS_DENIED", third: "ACCESS_DENIED"}


@then(
    parsers.parse(
        'the audit trail of "{name}" shows that digest promoted to "staging" by "{requester}", '
        'then approved and promoted to "prod" by "{approver}"'
    )
)
def audit_through(
    live: LivePlatform, promo: dict[str, Any], name: str, requester: str, approver: str
) -> None:
    rows = _audit(live, "product", name)
    steps = [
        (r["action"], r["actor"], r["from_env"], r["to_env"], r["digest"])
        for r in rows
        if r["action"] in ("pushed", "approved", "promoted")
    ]
    digest = promo["digests"]["1.0.0"]
    assert steps == [
        ("pushed", requester, None, "dev", digest),
        ("promoted", requester, "dev", "staging", digest),
        ("approved", approver, "staging", "prod", digest),
        ("promoted", approver, "staging", "prod", digest),
    ]


## The platform manifest published in the registry (oci:// in floe.yaml)

MANIFEST_REPO = "platform/floe-demo-platform"


def _name_manifest(promo: dict[str, Any], live: LivePlatform, reference: str) -> None:
    reference = reference.replace("{registry}", live.url("registry").split("://", 1)[1])
    spec_path = promo["source"] / "floe.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["platform"]["manifest"] = reference
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    promo["manifest_ref"] = reference


@given("the platform team has published the platform's manifest with floe manifest push")
def manifest_published(live: LivePlatform) -> None:
    manifest = live.settings.manifest
    result = _run(["manifest", "push", str(manifest), "--home", str(live.settings.home)])
    assert result.exit_code == 0, result.stderr
    digest = _resolve(live, MANIFEST_REPO, "1.0.0")
    assert digest is not None and f"{MANIFEST_REPO}@{digest}" in result.stdout, result.stdout


@given(
    parsers.parse(
        'the product "{name}", a copy of "customer-360" whose floe.yaml names that manifest as '
        '"{reference}"'
    )
)
def names_oci_manifest(
    live: LivePlatform, promo: dict[str, Any], tmp_path: Path, name: str, reference: str
) -> None:
    _copy(tmp_path, promo, name)
    _name_manifest(promo, live, reference)


@when(parsers.parse('its floe.yaml names "{reference}" instead'))
def names_other(live: LivePlatform, promo: dict[str, Any], reference: str) -> None:
    _name_manifest(promo, live, reference)


@when(parsers.parse('floe compile runs on "{name}"'), target_fixture="command")
def compiles(promo: dict[str, Any], name: str) -> CommandResult:
    assert promo["product"] == name
    return _run(["compile", str(promo["source"]), "-o", str(promo["build"])])


@then(
    parsers.parse(
        'the artifact of "{name}" records the sha256 of the manifest the registry holds under '
        '"{tag}", which is the manifest the platform registered'
    )
)
def records_registry_manifest(
    live: LivePlatform, promo: dict[str, Any], name: str, tag: str
) -> None:
    repo, version = tag.rsplit(":", 1)
    digest = _resolve(live, repo, version)
    manifest = _registry(live, "GET", f"{repo}/manifests/{digest}", headers={"Accept": MANIFEST})
    (layer,) = manifest.json()["layers"]
    assert layer["mediaType"] == "application/vnd.floe.manifest.v1+yaml"
    blob = _registry(live, "GET", f"{repo}/blobs/{layer['digest']}")
    held = hashlib.sha256(blob.content).hexdigest()
    artifact = json.loads((promo["build"] / name / "compiled_artifacts.json").read_text())
    assert artifact["sources"]["manifest_yaml"] == held
    assert held == live.settings.manifest_sha256
