"""Steps only a Kubernetes (Kind) cluster can prove; deselected on the local target (@k8s)."""

from __future__ import annotations

import os
import time
from typing import Any

import requests
from pytest_bdd import given, parsers, then

NAMESPACE = os.environ.get("FLOE_K8S_NAMESPACE", "floe")
NODE_HOST = os.environ.get("FLOE_K8S_NODE_HOST", "127.0.0.1")


@given("a clean Kind cluster with the floe-platform chart installed", target_fixture="k8s")
def kind_cluster() -> Any:
    """The kubeconfig of the Kind cluster the kind target installed the chart into."""
    from kubernetes import client, config

    config.load_kube_config()
    return client.CoreV1Api()


@then(
    parsers.parse(
        "all pods in the namespace reach Ready within {seconds:d} seconds and their "
        "liveness probes pass"
    )
)
def pods_ready(k8s: Any, seconds: int) -> None:
    deadline = time.monotonic() + seconds
    not_ready: list[str] = []
    while time.monotonic() < deadline:
        pods = k8s.list_namespaced_pod(NAMESPACE).items
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
            assert restarts == dict.fromkeys(restarts, 0), restarts
            return
        time.sleep(2)
    raise AssertionError(f"pods not Ready after {seconds}s: {not_ready}")


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
