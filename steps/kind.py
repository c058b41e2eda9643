"""Steps only a Kubernetes (Kind) cluster can prove (@k8s): `make e2e FLOE_TARGET=kind` selects
them where a container engine runs; on the local target they are deselected, never skipped.

The cluster is created once per session with pytest-kind, the floe image (`make image`) loaded
into it, and the chart installed with the dev values, as an operator would.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_bdd import given, parsers, then, when

from steps.common import PRODUCTS, ROOT

NAMESPACE = os.environ.get("FLOE_K8S_NAMESPACE", "floe-dev")
NODE_HOST = os.environ.get("FLOE_K8S_NODE_HOST", "127.0.0.1")
IMAGE = os.environ.get("FLOE_IMAGE", "floe:0.1.0")
TOOLS = ROOT / ".venv" / "chart" / "bin"
CHART = ROOT / "charts" / "floe-platform"


@pytest.fixture(scope="session")
def kind_kubeconfig() -> Iterator[Path]:
    """A fresh Kind cluster with the chart installed; deleted at the end of the session."""
    from pytest_kind import KindCluster

    cluster = KindCluster("floe-e2e", kubectl_path=TOOLS / "kubectl")
    cluster.create(ROOT / "tests" / "k8s" / "kind-config.yaml")
    try:
        cluster.load_docker_image(IMAGE)
        subprocess.run(
            [
                str(TOOLS / "helm"),
                *("install", "floe-platform", str(CHART), "--namespace", NAMESPACE),
                *("--create-namespace", "-f", str(CHART / "values-dev.yaml")),
                *("--kubeconfig", str(cluster.kubeconfig_path)),
            ],
            check=True,
            timeout=300,
        )
        yield cluster.kubeconfig_path
    finally:
        cluster.delete()


@given("a clean Kind cluster with the floe-platform chart installed", target_fixture="k8s")
def kind_cluster(kind_kubeconfig: Path) -> Any:
    from kubernetes import client, config

    config.load_kube_config(config_file=str(kind_kubeconfig))
    return client.CoreV1Api()


def _wait_ready(k8s: Any, namespace: str, seconds: int) -> None:
    """Every pod of the namespace Ready within ``seconds``, none restarted on the way."""
    deadline = time.monotonic() + seconds
    not_ready: list[str] = []
    while time.monotonic() < deadline:
        pods = k8s.list_namespaced_pod(namespace).items
        not_ready = [
            p.metadata.name
            for p in pods
            if not any(
                c.type == "Ready" and c.status == "True" for c in (p.status.conditions or [])
            )
        ]
        if pods and not not_ready:
            restarts = {
                p.metadata.name: sum(c.restart_count for c in p.status.container_statuses)
                for p in pods
            }
            assert restarts == dict.fromkeys(restarts, 0), (namespace, restarts)
            return
        time.sleep(2)
    raise AssertionError(f"pods of {namespace} not Ready after {seconds}s: {not_ready}")


@then(
    parsers.parse(
        "all pods in the namespace reach Ready within {seconds:d} seconds and their "
        "liveness probes pass"
    )
)
def pods_ready(k8s: Any, seconds: int) -> None:
    _wait_ready(k8s, NAMESPACE, seconds)


@when(
    parsers.parse(
        'the chart is installed into the same cluster as the releases of "{envs}", each into '
        'its namespace "floe-<environment>" with that environment\'s values'
    )
)
def install_environments(kind_kubeconfig: Path, envs: str) -> None:
    for env in [e.strip() for e in envs.split(",")]:
        subprocess.run(
            [
                str(TOOLS / "helm"),
                *("upgrade", "--install", "floe-platform", str(CHART)),
                *("--namespace", f"floe-{env}", "--create-namespace"),
                *("-f", str(CHART / f"values-{env}.yaml")),
                *("--kubeconfig", str(kind_kubeconfig)),
            ],
            check=True,
            timeout=300,
        )


@then(
    parsers.parse(
        'the cluster\'s namespaces include "{namespaces}", each holding one release whose '
        "objects carry its environment"
    )
)
def environment_namespaces(k8s: Any, namespaces: str) -> None:
    wanted = [n.strip() for n in namespaces.split(",")]
    have = {n.metadata.name for n in k8s.list_namespace().items}
    assert set(wanted) <= have, sorted(have)
    for namespace in wanted:
        env = namespace.removeprefix("floe-")
        services = k8s.list_namespaced_service(namespace).items
        labels = {(s.metadata.labels or {}).get("floe.dev/environment") for s in services}
        assert services and labels == {env}, (namespace, labels)


@then(parsers.parse('all pods of "{namespaces}" reach Ready within {seconds:d} seconds'))
def environments_ready(k8s: Any, namespaces: str, seconds: int) -> None:
    for namespace in [n.strip() for n in namespaces.split(",")]:
        _wait_ready(k8s, namespace, seconds)


@then("each environment's code servers run with FLOE_ENVIRONMENT set to it")
def code_servers_environment(k8s: Any) -> None:
    from kubernetes import client

    apps = client.AppsV1Api()
    for env in ("dev", "staging", "prod"):
        code = [
            d
            for d in apps.list_namespaced_deployment(f"floe-{env}").items
            if d.metadata.name.startswith("floe-platform-code-")
        ]
        assert len(code) == len(PRODUCTS), (env, [d.metadata.name for d in code])
        for deployment in code:
            (container,) = deployment.spec.template.spec.containers
            values = {e.name: e.value for e in container.env or []}
            assert values["FLOE_ENVIRONMENT"] == env, (env, deployment.metadata.name)


@then(parsers.parse('the NodePorts "{ports}" answer HTTP 200'))
def nodeports_answer(k8s: Any, ports: str) -> None:
    services = k8s.list_namespaced_service(NAMESPACE).items
    node_ports = {p.node_port for s in services for p in (s.spec.ports or []) if p.node_port}
    wanted = [int(p) for p in ports.split(",")]
    assert set(wanted) <= node_ports, sorted(node_ports)
    codes = {
        port: requests.get(f"http://{NODE_HOST}:{port}/", timeout=5).status_code for port in wanted
    }
    assert codes == dict.fromkeys(wanted, 200), codes


def _connects(k8s: Any, product: str, service: str, port: int) -> bool:
    """Open a TCP connection from inside the product's code-location pod (a real packet path)."""
    from kubernetes.stream import stream

    (pod,) = k8s.list_namespaced_pod(NAMESPACE, label_selector=f"floe.dev/product={product}").items
    host = f"floe-platform-{service}"
    code = (
        "import socket,sys\n"
        "try:\n"
        f"    socket.create_connection(({host!r}, {port}), timeout=5); print('OPEN')\n"
        "except OSError as e:\n"
        "    print('REFUSED', e)\n"
    )
    output = stream(
        k8s.connect_get_namespaced_pod_exec,
        pod.metadata.name,
        NAMESPACE,
        command=["python", "-c", code],
        stderr=True,
        stdout=True,
    )
    return str(output).startswith("OPEN")


@then(
    parsers.parse(
        'a connection from the "{product}" code location to the MinIO console on port {port:d} '
        "fails"
    )
)
def connection_refused(k8s: Any, product: str, port: int) -> None:
    assert not _connects(k8s, product, "minio", port)


@then(
    parsers.parse(
        'a connection from the "{product}" code location to Polaris on port {port:d} succeeds'
    )
)
def connection_allowed(k8s: Any, product: str, port: int) -> None:
    assert _connects(k8s, product, "polaris", port)
