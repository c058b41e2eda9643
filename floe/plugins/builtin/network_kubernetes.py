"""Kubernetes NetworkPolicies from one table of declared service dependencies.

Default deny for every pod of the release, then one allow policy per declared flow: what is
not declared cannot connect. The chart renders the same table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field

from floe.plugins.base import HealthStatus, NetworkSecurityPlugin
from floe.typedef import FloeModel

COMPONENT_LABEL = "app.kubernetes.io/component"


class NetworkPolicyConfig(FloeModel):
    namespace: str = Field(default="floe", description="Kubernetes namespace of the release.")
    ports: dict[str, list[int]] = Field(
        default_factory=dict,
        description="Service -> the TCP ports it listens on (all ports when absent).",
    )
    allow_dns: bool = Field(default=True, description="Let every pod resolve names (UDP/TCP 53).")


class KubernetesNetworkPolicyPlugin(NetworkSecurityPlugin[NetworkPolicyConfig]):
    name = "kubernetes"
    config_model = NetworkPolicyConfig
    example_config: ClassVar[Mapping[str, Any]] = {
        "namespace": "floe",
        "ports": {"postgresql": [5432], "polaris": [8181], "minio": [9000]},
    }

    def policies(self, services: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        """``services``: service -> the services it connects to."""
        ns = self.config.namespace
        egress_dns = (
            [{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]
            if self.config.allow_dns
            else []
        )
        result: list[dict[str, Any]] = [
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": ns},
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Ingress", "Egress"],
                    "egress": egress_dns,
                },
            }
        ]
        for source in sorted(services):
            for target in sorted(set(services[source])):
                ports = [{"protocol": "TCP", "port": p} for p in self.config.ports.get(target, [])]
                peer_to = {"podSelector": {"matchLabels": {COMPONENT_LABEL: target}}}
                peer_from = {"podSelector": {"matchLabels": {COMPONENT_LABEL: source}}}
                egress: dict[str, Any] = {"to": [peer_to]}
                ingress: dict[str, Any] = {"from": [peer_from]}
                if ports:
                    egress["ports"] = ports
                    ingress["ports"] = ports
                result.append(
                    {
                        "apiVersion": "networking.k8s.io/v1",
                        "kind": "NetworkPolicy",
                        "metadata": {"name": f"allow-{source}-to-{target}", "namespace": ns},
                        "spec": {
                            "podSelector": {"matchLabels": {COMPONENT_LABEL: source}},
                            "policyTypes": ["Egress"],
                            "egress": [egress],
                        },
                    }
                )
                result.append(
                    {
                        "apiVersion": "networking.k8s.io/v1",
                        "kind": "NetworkPolicy",
                        "metadata": {"name": f"allow-{target}-from-{source}", "namespace": ns},
                        "spec": {
                            "podSelector": {"matchLabels": {COMPONENT_LABEL: target}},
                            "policyTypes": ["Ingress"],
                            "ingress": [ingress],
                        },
                    }
                )
        return result

    def health_check(self) -> HealthStatus:
        return HealthStatus(
            healthy=True, detail=f"renders policies for namespace {self.config.namespace}"
        )
