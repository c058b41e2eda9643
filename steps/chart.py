"""Steps on the floe-platform Helm chart: helm, the Kubernetes API schemas, checkov and the
NetworkPolicy simulator run for real on what the chart renders."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from pytest_bdd import parsers, then, when

from floe.chart.values import SERVICE_FLOWS
from floe.promotion.gates import POLICY_RULE
from floe.promotion.policy_gate import Policies
from steps.common import DEMO, PRODUCTS, ROOT, CommandResult
from steps.compiler import _run

CHART = ROOT / "charts" / "floe-platform"
TOOLS = ROOT / ".venv" / "chart" / "bin"
RELEASE = "floe-platform"
INSTANCE = f"app.kubernetes.io/instance={RELEASE}"
ENV_SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|TOKEN|CREDENTIAL")
WORKLOADS = ("Deployment", "StatefulSet", "Job")


def _tool(name: str, *args: str, env: dict[str, str] | None = None) -> CommandResult:
    proc = subprocess.run(
        [str(TOOLS / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    return CommandResult([name, *args], proc.returncode, proc.stdout, proc.stderr)


def _template(namespace: str, *value_files: Path, sets: tuple[str, ...] = ()) -> CommandResult:
    args = ["template", RELEASE, str(CHART), "--namespace", namespace]
    for f in value_files:
        args += ["-f", str(f)]
    for s in sets:
        args += ["--set", s]
    return _tool("helm", *args)


def _docs(result: CommandResult) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def _suffix(name: str) -> str:
    return name.removeprefix(RELEASE + "-")


def _of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {_suffix(d["metadata"]["name"]): d for d in docs if d["kind"] == kind}


def _containers(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(workload kind/name, pod spec, container) for every container of every workload."""
    found = []
    for d in docs:
        if d["kind"] in WORKLOADS:
            pod = d["spec"]["template"]["spec"]
            for c in pod.get("initContainers", []) + pod["containers"]:
                found.append((f"{d['kind']}/{_suffix(d['metadata']['name'])}", pod, c))
    return found


@pytest.fixture
def renders() -> dict[str, list[dict[str, Any]]]:
    """Environment -> the objects helm rendered for it, filled by the When steps."""
    return {}


## When


@when("helm lints the chart strictly", target_fixture="command")
def helm_lint() -> CommandResult:
    return _tool("helm", "lint", "--strict", str(CHART))


@when(parsers.parse('the chart is rendered with the values of "{envs}"'))
def render_envs(renders: dict[str, list[dict[str, Any]]], envs: str) -> None:
    for env in [e.strip() for e in envs.split(",")]:
        renders[env] = _docs(_template(f"floe-{env}", CHART / f"values-{env}.yaml"))


@when(
    parsers.parse('the chart is rendered from the demo manifest with marquez_database "{choice}"')
)
def render_from_manifest(
    tmp_path: Path, renders: dict[str, list[dict[str, Any]]], choice: str
) -> None:
    manifest = yaml.safe_load((DEMO / "manifest.yaml").read_text())
    manifest["plugins"]["lineage"]["config"]["marquez_database"] = choice
    path = tmp_path / f"manifest-{choice}.yaml"
    path.write_text(yaml.safe_dump(manifest))
    values = tmp_path / f"values-{choice}.yaml"
    products = [str(DEMO / p) for p in PRODUCTS]
    result = _run(["chart", "values", *products, "--manifest", str(path), "-o", str(values)])
    assert result.exit_code == 0, result.output
    renders["dev"] = _docs(_template("floe-dev", values))


@when(
    parsers.parse('the chart is rendered with the extra values "{text}"'), target_fixture="command"
)
def render_extra(tmp_path: Path, text: str) -> CommandResult:
    extra = tmp_path / "extra-values.yaml"
    extra.write_text(text + "\n")
    return _template("floe-dev", extra)


@when("checkov scans the rendered manifests", target_fixture="checkov")
def checkov_scan(tmp_path: Path, renders: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    (env,) = renders
    folder = tmp_path / "rendered"
    folder.mkdir()
    (folder / f"{env}.yaml").write_text(yaml.safe_dump_all(renders[env]))
    result = _tool(
        "checkov",
        *("-d", str(folder), "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"),
        env={"BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.exit_code in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report  # type: ignore[no-any-return]


## Then


@then(parsers.parse('helm reports "{text}"'))
def helm_reports(command: CommandResult, text: str) -> None:
    assert command.exit_code == 0, command.output
    assert text in command.output, command.output


@then(parsers.parse("every rendered object is valid against the Kubernetes {version} API schemas"))
def api_valid(tmp_path: Path, renders: dict[str, list[dict[str, Any]]], version: str) -> None:
    for env, docs in renders.items():
        path = tmp_path / f"{env}.yaml"
        path.write_text(yaml.safe_dump_all(docs))
        result = _tool("kubernetes-validate", "--strict", "-k", f"{version}.0", str(path))
        assert result.exit_code == 0, result.output[-3000:]
        passed = re.findall(r" passed for resource ", result.output)
        assert len(passed) == len(docs), (env, len(passed), len(docs))


@then(parsers.parse('each render holds the services "{names}"'))
def render_services(renders: dict[str, list[dict[str, Any]]], names: str) -> None:
    wanted = {n.strip() for n in names.split(",")}
    for env, docs in renders.items():
        components = {
            d["metadata"]["labels"]["app.kubernetes.io/component"]
            for d in docs
            if d["kind"] == "Service"
        }
        assert components == wanted | {"user-code"}, (env, sorted(components))


@then(parsers.parse('each render holds the Deployments "{deployments}" and the Jobs "{jobs}"'))
def render_workloads(renders: dict[str, list[dict[str, Any]]], deployments: str, jobs: str) -> None:
    for env, docs in renders.items():
        have = set(_of_kind(docs, "Deployment"))
        assert {n.strip() for n in deployments.split(",")} <= have, (env, sorted(have))
        assert set(_of_kind(docs, "Job")) == {n.strip() for n in jobs.split(",")}, env


def _node_ports(docs: list[dict[str, Any]]) -> list[int]:
    return sorted(
        p["nodePort"]
        for s in _of_kind(docs, "Service").values()
        for p in s["spec"]["ports"]
        if "nodePort" in p
    )


@then(
    parsers.parse(
        "the NodePorts of dev are \"{ports}\", staging's each {staging:d} higher and prod's "
        "each {prod:d} higher, so no two environments share one"
    )
)
def render_nodeports(
    renders: dict[str, list[dict[str, Any]]], ports: str, staging: int, prod: int
) -> None:
    dev = sorted(int(p) for p in ports.split(","))
    offsets = {"dev": 0, "staging": staging, "prod": prod}
    have = {env: _node_ports(docs) for env, docs in renders.items()}
    assert have == {env: [p + offsets[env] for p in dev] for env in renders}, have
    everyone = [p for ports_of_env in have.values() for p in ports_of_env]
    assert len(everyone) == len(set(everyone)) == len(dev) * len(renders), have


@then(
    'every object of each render lives in the namespace "floe-<environment>" with the label '
    "floe.dev/environment, none is cluster-scoped, and every code server runs with "
    "FLOE_ENVIRONMENT set to its environment"
)
def one_namespace_per_environment(renders: dict[str, list[dict[str, Any]]]) -> None:
    for env, docs in renders.items():
        placed = {(d["kind"], d["metadata"].get("namespace")) for d in docs}
        assert {ns for _, ns in placed} == {f"floe-{env}"}, (env, sorted(placed, key=str))
        labelled = {d["metadata"].get("labels", {}).get("floe.dev/environment") for d in docs}
        assert labelled == {env}, (env, labelled)
        code = [d for n, d in _of_kind(docs, "Deployment").items() if n.startswith("code-")]
        assert len(code) == len(PRODUCTS), (env, len(code))
        for deployment in code:
            assert _env(deployment)["FLOE_ENVIRONMENT"].get("value") == env, (env, deployment)


@then(
    "every container runs as a non-root user of UID 10001 with a read-only root filesystem, "
    "no privilege escalation, no capabilities and CPU and memory limits"
)
def hardened(renders: dict[str, list[dict[str, Any]]]) -> None:
    for env, docs in renders.items():
        containers = _containers(docs)
        assert len(containers) >= 12, (env, len(containers))
        for where, pod, c in containers:
            psc, csc = pod["securityContext"], c["securityContext"]
            assert (psc["runAsNonRoot"], psc["runAsUser"]) == (True, 10001), (env, where)
            assert csc["readOnlyRootFilesystem"] is True, (env, where)
            assert csc["allowPrivilegeEscalation"] is False, (env, where)
            assert csc["capabilities"]["drop"] == ["ALL"], (env, where)
            assert set(c["resources"]["limits"]) == {"cpu", "memory"}, (env, where)


@then("every container of a Deployment or StatefulSet has a readiness and a liveness probe")
def probes(renders: dict[str, list[dict[str, Any]]]) -> None:
    for env, docs in renders.items():
        for where, _, c in _containers(docs):
            if not where.startswith("Job/"):
                assert "readinessProbe" in c and "livenessProbe" in c, (env, where)


@then(
    parsers.parse(
        'OPA serves the policies of the ConfigMap "{name}" on its Service\'s port, its '
        '"{policy}" byte for byte demo/policies/{policy_again}'
    )
)
def opa_policies(
    renders: dict[str, list[dict[str, Any]]], name: str, policy: str, policy_again: str
) -> None:
    assert policy == policy_again
    demo = (DEMO / "policies" / policy).read_bytes()
    for env, docs in renders.items():
        data = _of_kind(docs, "ConfigMap")[name]["data"]
        assert sorted(data) == [policy, "system-authz.rego"], (env, sorted(data))
        assert data[policy].encode() == demo, env
        pod = _of_kind(docs, "Deployment")["opa"]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        (policies,) = [m for m in container["volumeMounts"] if m["name"] == "policies"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == "policies"]
        assert volume["configMap"]["name"] == f"{RELEASE}-{name}", env
        (port,) = [p["port"] for p in _of_kind(docs, "Service")["opa"]["spec"]["ports"]]
        assert container["args"] == [
            "run",
            "--server",
            f"--addr=:{port}",
            "--authorization=basic",
            "--disable-telemetry",
            "--ignore=.*",
            policies["mountPath"],
        ], env


@then("OPA's API authorization, evaluated by floe's policy gate, answers these requests:")
def opa_authorization(
    tmp_path: Path, renders: dict[str, list[dict[str, Any]]], datatable: list[list[str]]
) -> None:
    header, *rows = datatable
    assert header == ["method", "path", "allowed"]
    # The one question floe's policy gate asks (floe/promotion/gates.py).
    assert ["POST", f"/v1/data/{POLICY_RULE}", "yes"] in rows
    for env, docs in renders.items():
        folder = tmp_path / f"opa-{env}"
        folder.mkdir()
        for file, text in _of_kind(docs, "ConfigMap")["opa-policies"]["data"].items():
            (folder / file).write_text(text, encoding="utf-8")
        policies = Policies(folder)  # both files, loaded together as OPA loads them
        verdicts = []
        for method, path, _ in rows:
            allowed = policies.evaluate(
                "system/authz/allow", {"method": method, "path": path.strip("/").split("/")}
            )
            assert allowed in (True, False), (env, method, path, allowed)
            verdicts.append([method, path, "yes" if allowed else "no"])
        assert verdicts == rows, (env, verdicts)


def _env(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container["env"]}


def _initdb(docs: list[dict[str, Any]]) -> str:
    return str(_of_kind(docs, "ConfigMap")["postgresql-initdb"]["data"]["10-databases.sh"])


@then(
    "Marquez reads its database from the release's PostgreSQL service, where the init script "
    'creates the database "marquez"'
)
def marquez_shared(renders: dict[str, list[dict[str, Any]]]) -> None:
    docs = renders["dev"]
    env = _env(_of_kind(docs, "Deployment")["marquez"])
    assert env["POSTGRES_HOST"]["value"] == f"{RELEASE}-postgresql"
    assert "postgresql" in _of_kind(docs, "Service")
    assert re.search(r"^\s*create marquez ", _initdb(docs), re.M), _initdb(docs)
    assert "marquez-db" not in _of_kind(docs, "StatefulSet")


@then(parsers.parse("the Marquez web UI is a NodePort service on port {port:d}"))
def marquez_ui(renders: dict[str, list[dict[str, Any]]], port: int) -> None:
    service = _of_kind(renders["dev"], "Service")["marquez-web"]
    assert service["spec"]["type"] == "NodePort"
    assert [p["nodePort"] for p in service["spec"]["ports"]] == [port]


@then(
    'Marquez reads its database from the StatefulSet "marquez-db" and the release\'s PostgreSQL '
    'creates no database "marquez"'
)
def marquez_dedicated(renders: dict[str, list[dict[str, Any]]]) -> None:
    docs = renders["dev"]
    env = _env(_of_kind(docs, "Deployment")["marquez"])
    assert env["POSTGRES_HOST"]["value"] == f"{RELEASE}-marquez-db"
    assert "marquez-db" in _of_kind(docs, "StatefulSet")
    assert "create marquez" not in _initdb(docs)


@then(
    "every env var named like a password, secret, key, token or credential comes from a "
    "secretKeyRef or only from such vars"
)
def env_from_secrets(renders: dict[str, list[dict[str, Any]]]) -> None:
    checked = 0
    for env_name, docs in renders.items():
        for where, _, c in _containers(docs):
            from_secret = {
                e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})
            }
            for e in c.get("env", []):
                if not ENV_SECRET_NAME.search(e["name"]):
                    continue
                checked += 1
                if e["name"] in from_secret:
                    continue
                refs = re.findall(r"\$\(([A-Z0-9_]+)\)", e.get("value", ""))
                assert refs and set(refs) <= from_secret, (env_name, where, e)
    assert checked >= 20, checked


@then(
    parsers.parse(
        "the only Secret rendered is the credentials Secret, with {n:d} generated keys and the "
        "registry's htpasswd entry"
    )
)
def one_secret(renders: dict[str, list[dict[str, Any]]], n: int) -> None:
    for env, docs in renders.items():
        secrets = _of_kind(docs, "Secret")
        assert list(secrets) == ["credentials"], (env, list(secrets))
        data = dict(secrets["credentials"]["data"])
        # bcrypt (cost 10), the one hash the registry accepts; what it verifies is proven below.
        htpasswd = base64.b64decode(data.pop("registry-htpasswd")).decode()
        assert re.fullmatch(r"floe:\$2a\$10\$[./A-Za-z0-9]{53}", htpasswd), (env, htpasswd)
        assert len(data) == n, sorted(data)
        assert all(len(base64.b64decode(v)) == 32 for v in data.values()), env


@then("two renders generate different credential values, and none appears in a values file")
def secrets_random(renders: dict[str, list[dict[str, Any]]]) -> None:
    (env,) = renders
    first = _of_kind(renders[env], "Secret")["credentials"]["data"]
    second = _of_kind(_docs(_template(f"floe-{env}", CHART / f"values-{env}.yaml")), "Secret")
    again = second["credentials"]["data"]
    assert set(first) == set(again)
    assert all(first[k] != again[k] for k in first), "a credential is the same in two renders"
    values_text = "".join(p.read_text() for p in CHART.glob("values*.yaml"))
    for value in first.values():
        assert base64.b64decode(value).decode() not in values_text


@then(
    parsers.parse(
        'with global.existingSecret "{name}" no Secret is rendered, every secret volume names '
        '"{same}" and every secretKeyRef names it or a product principal\'s Secret'
    )
)
def existing_secret(name: str, same: str) -> None:
    docs = _docs(
        _template("floe-prod", CHART / "values-prod.yaml", sets=(f"global.existingSecret={name}",))
    )
    assert _of_kind(docs, "Secret") == {}
    refs = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for _, _, c in _containers(docs)
        for e in c.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    principals = {r for r in refs if r.startswith(f"{RELEASE}-principal-")}
    assert refs - principals == {same}, sorted(refs)
    assert len(principals) == len(PRODUCTS), sorted(principals)
    mounted = [
        (_suffix(d["metadata"]["name"]), v["secret"]["secretName"])
        for d in docs
        if d["kind"] in WORKLOADS
        for v in d["spec"]["template"]["spec"].get("volumes", [])
        if "secret" in v
    ]
    assert mounted == [("registry", same)], mounted


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(args: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[None]:
    """Runs a server until the block ends, once ``ready`` answers 200 (15 s at most)."""
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(ready, timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (ready, log.read_text()[-3000:])
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _container_env(container: dict[str, Any], secret: dict[str, Any]) -> dict[str, str]:
    """A container's environment as the kubelet builds it from the rendered Secret."""
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    env = {}
    for e in container["env"]:
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret["metadata"]["name"], e
            env[e["name"]] = values[ref["key"]]
    return env


@then(
    parsers.parse(
        "the registry, started from its rendered config, Secret and env, answers 401 without a "
        'login and 200 to user "{user}" with the Secret\'s "{key}", the password the Dagster '
        "daemon holds"
    )
)
def registry_login(
    tmp_path: Path, renders: dict[str, list[dict[str, Any]]], user: str, key: str
) -> None:
    (env_name,) = renders
    docs = renders[env_name]
    secret = _of_kind(docs, "Secret")["credentials"]
    password = base64.b64decode(secret["data"][key]).decode()
    config_map = _of_kind(docs, "ConfigMap")["registry"]
    config = yaml.safe_load(config_map["data"]["config.yml"])
    pod = _of_kind(docs, "Deployment")["registry"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    # The config it serves is the ConfigMap's; the htpasswd file that config names is the
    # Secret's registry-htpasswd, mounted.
    assert container["command"][:2] == ["registry", "serve"]
    served = mounts[container["command"][2]]
    assert (volumes[served["name"]]["configMap"]["name"], served["subPath"]) == (
        config_map["metadata"]["name"],
        "config.yml",
    )
    auth_dir, auth_file = os.path.split(config["auth"]["htpasswd"]["path"])
    auth = volumes[mounts[auth_dir]["name"]]["secret"]
    assert auth["secretName"] == secret["metadata"]["name"], auth
    assert auth["items"] == [{"key": "registry-htpasswd", "path": auth_file}], auth
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert (config["http"]["addr"], config["http"]["debug"]["addr"]) == (
        f":{ports['http']}",
        f":{ports['debug']}",
    )
    assert container["readinessProbe"]["httpGet"] == {"path": "/debug/health", "port": "debug"}
    service = _of_kind(docs, "Service")["registry"]["spec"]
    assert service["type"] == "ClusterIP"
    assert [p["port"] for p in service["ports"]] == [ports["http"]]
    # Blobs go through the registry, so its clients never need MinIO.
    assert config["storage"]["redirect"] == {"disable": True}, config["storage"]

    # The kubelet's part by hand: the same files and the env from the Secret; only the listen
    # addresses and where the htpasswd file lies differ. Debian's Distribution 2.8 serves it.
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "config.yml").write_text(config_map["data"]["config.yml"])
    (folder / auth_file).write_bytes(base64.b64decode(secret["data"]["registry-htpasswd"]))
    http, debug = _free_port(), _free_port()
    env = {
        "PATH": os.environ["PATH"],
        **_container_env(container, secret),
        "REGISTRY_HTTP_ADDR": f"127.0.0.1:{http}",
        "REGISTRY_HTTP_DEBUG_ADDR": f"127.0.0.1:{debug}",
        "REGISTRY_AUTH_HTPASSWD_PATH": str(folder / auth_file),
    }
    binary = shutil.which("docker-registry")
    assert binary, "Distribution (Debian's docker-registry, the local target's registry) is missing"
    url = f"http://127.0.0.1:{http}/v2/"
    args = [binary, "serve", str(folder / "config.yml")]
    with _serving(args, env, f"http://127.0.0.1:{debug}/debug/health", tmp_path / "registry.log"):
        anonymous = requests.get(url, timeout=5)
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="floe"'
        wrong = requests.get(url, auth=(user, password + "x"), timeout=5)
        assert wrong.status_code == 401, wrong.text
        login = requests.get(url, auth=(user, password), timeout=5)
        assert login.status_code == 200, (login.status_code, login.text)
    daemon = _env(_of_kind(docs, "Deployment")["dagster-daemon"])
    assert daemon["FLOE_REGISTRY_USER"] == {"name": "FLOE_REGISTRY_USER", "value": user}
    assert daemon["FLOE_REGISTRY_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": secret["metadata"]["name"],
        "key": key,
    }


def _simulate(policies: Path, src: tuple[str, str], dst: tuple[str, str], port: int) -> str:
    """kube-netpol's verdict (ALLOW or DENY) for pod src -> pod dst; (namespace, component)."""
    result = _tool(
        "kube-netpol",
        *("simulate", str(policies), "--from-pod", "src", "--from-ns", src[0]),
        *("--from-labels", f"{INSTANCE},app.kubernetes.io/component={src[1]}"),
        *("--to-pod", "dst", "--to-ns", dst[0]),
        *("--to-labels", f"{INSTANCE},app.kubernetes.io/component={dst[1]}"),
        *("-p", str(port), "--protocol", "TCP"),
    )
    match = re.search(r"Verdict:\s*\S*\s*(ALLOW|DENY)", result.output)
    assert match, result.output
    return match.group(1)


def _policies(tmp_path: Path, renders: dict[str, list[dict[str, Any]]], *envs: str) -> Path:
    path = tmp_path / ("-".join(envs) + "-policies.yaml")
    docs = [d for env in envs for d in renders[env] if d["kind"] == "NetworkPolicy"]
    path.write_text(yaml.safe_dump_all(docs))
    return path


@then("the policies start from a default deny of ingress and egress for every pod of the release")
def default_deny(renders: dict[str, list[dict[str, Any]]]) -> None:
    for env, docs in renders.items():
        deny = _of_kind(docs, "NetworkPolicy")["default-deny"]["spec"]
        assert deny["podSelector"] == {"matchLabels": {"app.kubernetes.io/instance": RELEASE}}
        assert deny["policyTypes"] == ["Ingress", "Egress"]
        assert "ingress" not in deny, env
        ports = {p["port"] for rule in deny["egress"] for p in rule["ports"]}
        assert ports == {53} and all("to" not in rule for rule in deny["egress"]), env


@then("the simulator allows every flow of the platform's declared dependency table")
def declared_allowed(tmp_path: Path, renders: dict[str, list[dict[str, Any]]]) -> None:
    for env in renders:
        policies = _policies(tmp_path, renders, env)
        ns = f"floe-{env}"
        verdicts = {
            (src, dst, port): _simulate(policies, (ns, src), (ns, dst), port)
            for src, dst, ports in SERVICE_FLOWS
            for port in ports
        }
        assert len(verdicts) == len(SERVICE_FLOWS)
        assert set(verdicts.values()) == {"ALLOW"}, (env, verdicts)


@then("the simulator denies these flows:")
def undeclared_denied(
    tmp_path: Path, renders: dict[str, list[dict[str, Any]]], datatable: list[list[str]]
) -> None:
    header, *rows = datatable
    assert header == ["from", "to", "port"]
    declared = {(s, d, p) for s, d, ports in SERVICE_FLOWS for p in ports}
    for env in renders:
        policies = _policies(tmp_path, renders, env)
        ns = f"floe-{env}"
        for src, dst, port in rows:
            assert (src, dst, int(port)) not in declared
            assert _simulate(policies, (ns, src), (ns, dst), int(port)) == "DENY", (env, src, dst)


@then(parsers.parse('the simulator denies a "{a}" user-code pod reaching the "{b}" PostgreSQL'))
def cross_environment(
    tmp_path: Path, renders: dict[str, list[dict[str, Any]]], a: str, b: str
) -> None:
    policies = _policies(tmp_path, renders, a, b)
    # The same flow inside one environment is declared, so the namespace is what denies it.
    assert (
        _simulate(policies, (f"floe-{b}", "user-code"), (f"floe-{b}", "postgresql"), 5432)
        == "ALLOW"
    )
    assert (
        _simulate(policies, (f"floe-{a}", "user-code"), (f"floe-{b}", "postgresql"), 5432) == "DENY"
    )


@then(parsers.parse("checkov passed at least {n:d} checks"))
def checkov_passed(checkov: dict[str, Any], n: int) -> None:
    assert checkov["summary"]["parsing_errors"] == 0
    assert checkov["summary"]["passed"] >= n, checkov["summary"]


@then(
    "every failed check is listed in charts/floe-platform/checkov-accepted.yaml with a reason, "
    "and every listed check still fails"
)
def checkov_accepted(checkov: dict[str, Any]) -> None:
    accepted = yaml.safe_load((CHART / "checkov-accepted.yaml").read_text())
    failed: dict[str, set[str]] = {}
    for check in checkov["results"]["failed_checks"]:
        kind, _, name = check["resource"].split(".", 2)
        failed.setdefault(check["check_id"], set()).add(f"{kind}.{_suffix(name)}")
    unaccepted = sorted(set(failed) - set(accepted))
    assert not unaccepted, {c: sorted(failed[c]) for c in unaccepted}
    assert set(accepted) == set(failed), f"no longer failing: {sorted(set(accepted) - set(failed))}"
    for check_id, entry in accepted.items():
        assert len(entry["reason"]) > 40, check_id
        if "resources" in entry:
            assert failed[check_id] == set(entry["resources"]), (check_id, failed[check_id])


@then(parsers.parse('helm fails and its error says "{text}"'))
def helm_fails(command: CommandResult, text: str) -> None:
    assert command.exit_code == 1, command.output
    assert text in command.stderr, command.stderr
    assert command.stdout == ""
