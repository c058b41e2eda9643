"""RBAC in Apache Polaris's model: principals hold principal roles, principal roles are granted
catalog roles, catalog roles hold privileges on the catalog, a namespace or a table.

The manifest declares the grants; this plugin answers whether an action is allowed, and the
platform applies the same grants to the catalog it runs (Polaris in the chart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field, model_validator

from floe.plugins.base import HealthStatus, RBACPlugin
from floe.typedef import FloeModel

PRIVILEGES = frozenset(
    {
        "CATALOG_MANAGE_CONTENT",
        "NAMESPACE_CREATE",
        "NAMESPACE_LIST",
        "NAMESPACE_DROP",
        "TABLE_CREATE",
        "TABLE_LIST",
        "TABLE_DROP",
        "TABLE_READ_DATA",
        "TABLE_WRITE_DATA",
        "TABLE_READ_PROPERTIES",
        "TABLE_WRITE_PROPERTIES",
    }
)
# A privilege that implies others, as Polaris documents them.
IMPLIES = {
    "CATALOG_MANAGE_CONTENT": PRIVILEGES - {"CATALOG_MANAGE_CONTENT"},
    "TABLE_WRITE_DATA": frozenset({"TABLE_READ_DATA"}),
    "TABLE_WRITE_PROPERTIES": frozenset({"TABLE_READ_PROPERTIES"}),
}


class Grant(FloeModel):
    privilege: str = Field(description="A Polaris privilege, e.g. TABLE_READ_DATA.")
    # Not "on": YAML reads a bare `on` key as true.
    scope: str = Field(
        default="*", description="'*' (catalog), a namespace ('retail'), or 'namespace.table'."
    )


class PolarisRBACConfig(FloeModel):
    principals: dict[str, list[str]] = Field(
        default_factory=dict, description="Principal -> its principal roles."
    )
    principal_roles: dict[str, list[str]] = Field(
        default_factory=dict, description="Principal role -> the catalog roles granted to it."
    )
    catalog_roles: dict[str, list[Grant]] = Field(
        default_factory=dict, description="Catalog role -> its privileges."
    )

    @model_validator(mode="after")
    def _known_names(self) -> PolarisRBACConfig:
        problems = []
        for principal, roles in self.principals.items():
            for role in roles:
                if role not in self.principal_roles:
                    problems.append(f"principals.{principal}: unknown principal role '{role}'")
        for prole, croles in self.principal_roles.items():
            for crole in croles:
                if crole not in self.catalog_roles:
                    problems.append(f"principal_roles.{prole}: unknown catalog role '{crole}'")
        for crole, grants in self.catalog_roles.items():
            for i, grant in enumerate(grants):
                if grant.privilege not in PRIVILEGES:
                    problems.append(
                        f"catalog_roles.{crole}[{i}].privilege: unknown privilege "
                        f"'{grant.privilege}' (one of {', '.join(sorted(PRIVILEGES))})"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _covers(scope: str, resource: str) -> bool:
    """'*' covers everything; a namespace covers itself and its tables."""
    return scope == "*" or resource == scope or resource.startswith(scope + ".")


class PolarisRBACPlugin(RBACPlugin[PolarisRBACConfig]):
    name = "polaris"
    config_model = PolarisRBACConfig
    example_config: ClassVar[Mapping[str, Any]] = {
        "principals": {"customer_360_runner": ["customer_360_writer"]},
        "principal_roles": {"customer_360_writer": ["customer_360_owner"]},
        "catalog_roles": {
            "customer_360_owner": [
                {"privilege": "TABLE_WRITE_DATA", "scope": "customer_360"},
                {"privilege": "TABLE_CREATE", "scope": "customer_360"},
            ]
        },
    }

    def privileges(self, principal: str) -> list[Grant]:
        """Every grant a principal holds through its roles, implied privileges included."""
        cfg = self.config
        grants: list[Grant] = []
        for prole in cfg.principals.get(principal, []):
            for crole in cfg.principal_roles.get(prole, []):
                for grant in cfg.catalog_roles.get(crole, []):
                    grants.append(grant)
                    grants += [
                        Grant(privilege=p, scope=grant.scope)
                        for p in sorted(IMPLIES.get(grant.privilege, ()))
                    ]
        return grants

    def is_allowed(self, principal: str, action: str, resource: str) -> bool:
        return any(
            g.privilege == action and _covers(g.scope, resource) for g in self.privileges(principal)
        )

    def health_check(self) -> HealthStatus:
        return HealthStatus(
            healthy=True,
            detail=f"{len(self.config.principals)} principal(s), "
            f"{len(self.config.catalog_roles)} catalog role(s)",
        )
