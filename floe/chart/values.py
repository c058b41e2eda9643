"""The chart's values as pydantic models: values.schema.json is generated from them, so a values
file with an unknown key or a wrong type fails `helm install`/`helm template` naming the key.

SERVICE_FLOWS is the platform's one table of declared service dependencies: the chart's
NetworkPolicies and the kubernetes network_security plugin are both rendered from it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from floe.typedef import FloeModel

Component = Literal[
    "postgresql",
    "polaris",
    "polaris-bootstrap",
    "minio",
    "minio-setup",
    "dagster-webserver",
    "dagster-daemon",
    "user-code",
    "otel-collector",
    "jaeger",
    "prometheus",
    "grafana",
    "marquez",
    "marquez-web",
    "marquez-db",
    "registry",
    "opa",
]


class Flow(FloeModel):
    from_: Component = Field(alias="from", description="Component whose pods connect.")
    to: Component = Field(description="Component they connect to.")
    ports: list[int] = Field(min_length=1, description="TCP ports of the connection.")


# (from, to, ports). Runs execute in their code location's pod, and Dagster's run workers write
# the event log, so user-code reaches PostgreSQL; nothing reaches the MinIO console from a pod.
SERVICE_FLOWS: tuple[tuple[Component, Component, tuple[int, ...]], ...] = (
    ("dagster-webserver", "postgresql", (5432,)),
    ("dagster-webserver", "user-code", (4000,)),
    ("dagster-daemon", "postgresql", (5432,)),
    ("dagster-daemon", "user-code", (4000,)),
    # Promotion runs beside the daemon: artifacts in the registry, the policy gate's verdict
    # from OPA, the audit trail in PostgreSQL; product code never reaches either service.
    ("dagster-daemon", "registry", (5100,)),
    ("dagster-daemon", "opa", (8282,)),
    ("user-code", "postgresql", (5432,)),
    ("user-code", "polaris", (8181,)),
    ("user-code", "minio", (9000,)),
    ("user-code", "otel-collector", (4318,)),
    ("user-code", "marquez", (5000,)),
    ("polaris", "postgresql", (5432,)),
    ("polaris", "minio", (9000,)),
    ("polaris-bootstrap", "polaris", (8181,)),
    ("minio-setup", "minio", (9000,)),
    ("registry", "minio", (9000,)),
    ("otel-collector", "jaeger", (4317,)),
    ("prometheus", "otel-collector", (8889,)),
    ("grafana", "prometheus", (9090,)),
    ("grafana", "jaeger", (16686,)),
    ("marquez", "postgresql", (5432,)),
    ("marquez", "marquez-db", (5432,)),
    ("marquez-web", "marquez", (5000,)),
)

# Reached through NodePorts from outside the cluster only (never from a pod).
EXPOSED: dict[Component, tuple[int, ...]] = {
    "dagster-webserver": (3000,),
    "polaris": (8181, 8182),
    "minio": (9000, 9001),
    "jaeger": (16686,),
    "grafana": (3001,),
    "prometheus": (9090,),
    "marquez-web": (3000,),
}


def flow_table() -> dict[str, list[str]]:
    """SERVICE_FLOWS as service -> the services it connects to (the network plugin's input)."""
    table: dict[str, list[str]] = {}
    for source, target, _ in SERVICE_FLOWS:
        table.setdefault(source, []).append(target)
    return table


def flow_ports() -> dict[str, list[int]]:
    """Target service -> the ports flows reach it on."""
    ports: dict[str, set[int]] = {}
    for _, target, p in SERVICE_FLOWS:
        ports.setdefault(target, set()).update(p)
    return {k: sorted(v) for k, v in ports.items()}


CIDR = r"^\d+\.\d+\.\d+\.\d+/\d+$"


class Resources(FloeModel):
    requests: dict[Literal["cpu", "memory"], str | int]
    limits: dict[Literal["cpu", "memory"], str | int]


class Image(FloeModel):
    repository: str = Field(min_length=1)
    tag: str = Field(
        min_length=1,
        pattern=r"^[0-9A-Za-z_][0-9A-Za-z_.-]*$",
        json_schema_extra={"not": {"const": "latest"}},
        description="A fixed version; never 'latest'.",
    )
    digest: str = Field(default="", pattern=r"^(sha256:[0-9a-f]{64})?$")

    @field_validator("tag")
    @classmethod
    def _not_latest(cls, tag: str) -> str:
        if tag == "latest":
            raise ValueError("'latest' is not a version: pin the image tag")
        return tag


class FloeImage(Image):
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = Field(alias="pullPolicy")


class Global(FloeModel):
    environment: Literal["dev", "staging", "prod"]
    node_port_offset: int = Field(
        default=0,
        alias="nodePortOffset",
        ge=0,
        le=100,
        description="Added to every NodePort: NodePorts are cluster-wide, so the three "
        "environments' releases share one cluster only on ports of their own.",
    )
    # The *name* of a Secret object the operator manages, not a secret value.
    operator_managed_object: str = Field(
        default="",
        alias="existingSecret",
        description="Name of a credentials Secret the operator manages; empty: generated.",
    )


class Product(FloeModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,40}$")
    namespace: str = Field(pattern=r"^[a-z][a-z0-9_]*$")


class ApiServer(FloeModel):
    cidr: str = Field(pattern=CIDR)
    ports: list[int] = Field(min_length=1)


class NetworkPolicyValues(FloeModel):
    enabled: bool
    pod_cidr: str = Field(alias="podCidr", pattern=CIDR)
    api_server: ApiServer = Field(alias="apiServer")
    flows: list[Flow]
    exposed: dict[Component, list[int]]


class PostgresValues(FloeModel):
    image: Image
    port: int = Field(ge=1, le=65535)
    storage: str
    resources: Resources


class Rbac(FloeModel):
    requests: list[dict[str, object]] = Field(
        description="Polaris management API calls (method, path, body), from the manifest."
    )


class PolarisValues(FloeModel):
    image: Image
    port: int = Field(ge=1, le=65535)
    management_port: int = Field(alias="managementPort", ge=1, le=65535)
    node_port: int = Field(alias="nodePort", ge=30000, le=32767)
    catalog: str
    rbac: Rbac
    resources: Resources


class MinioNodePorts(FloeModel):
    api: int = Field(ge=30000, le=32767)
    console: int = Field(ge=30000, le=32767)


class MinioValues(FloeModel):
    image: Image
    setup_image: Image = Field(alias="setupImage")
    buckets: list[str] = Field(min_length=1)
    api_port: int = Field(alias="apiPort")
    console_port: int = Field(alias="consolePort")
    node_ports: MinioNodePorts = Field(alias="nodePorts")
    storage: str
    resources: Resources


class Webserver(FloeModel):
    port: int
    node_port: int = Field(alias="nodePort", ge=30000, le=32767)
    resources: Resources


class Daemon(FloeModel):
    resources: Resources


class UserCode(FloeModel):
    port: int
    resources: Resources


class DagsterValues(FloeModel):
    webserver: Webserver
    daemon: Daemon
    user_code: UserCode = Field(alias="userCode")


class ServiceValues(FloeModel):
    image: Image
    resources: Resources


class ExposedServiceValues(ServiceValues):
    node_port: int = Field(alias="nodePort", ge=30000, le=32767)


class GrafanaValues(ExposedServiceValues):
    port: int


class RegistryValues(FloeModel):
    """The Distribution registry promotion keeps its OCI artifacts in (docs/promotion.md)."""

    enabled: bool
    image: Image
    port: int = Field(ge=1, le=65535)
    bucket: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="MinIO bucket of its blobs and manifests; the bucket job creates it.",
    )
    resources: Resources


class OpaValues(FloeModel):
    """OPA: promotion's policy gate over the chart's policies/*.rego."""

    enabled: bool
    image: Image
    port: int = Field(ge=1, le=65535)
    resources: Resources


class MarquezValues(FloeModel):
    enabled: bool
    database: Literal["shared", "dedicated"] = Field(
        description="Set by the manifest's lineage plugin (marquez_database)."
    )
    node_port: int = Field(alias="nodePort", ge=30000, le=32767)
    # The sub-chart's own defaults (charts/marquez/values.yaml), merged in by Helm.
    image: Image | None = None
    web_image: Image | None = Field(default=None, alias="webImage")
    db_image: Image | None = Field(default=None, alias="dbImage")
    resources: Resources | None = None
    global_: Global | None = Field(default=None, alias="global")


class ChartValues(FloeModel):
    """Everything values.yaml (and any -f file merged over it) may hold."""

    global_: Global = Field(alias="global")
    image: FloeImage
    products: list[Product] = Field(min_length=1)
    network_policy: NetworkPolicyValues = Field(alias="networkPolicy")
    postgresql: PostgresValues
    polaris: PolarisValues
    minio: MinioValues
    dagster: DagsterValues
    otel_collector: ServiceValues = Field(alias="otelCollector")
    jaeger: ExposedServiceValues
    prometheus: ExposedServiceValues
    grafana: GrafanaValues
    registry: RegistryValues
    opa: OpaValues
    marquez: MarquezValues
