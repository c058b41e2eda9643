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

    def polaris_requests(
        self, catalog: str, base_location: str, products: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Polaris management API calls that set up ``catalog`` and apply these grants.

        ``products``: product -> the namespace it owns. Each product gets a principal of its
        own whose role may create and write tables in its namespace only; the namespaces are
        created here, so no product needs NAMESPACE_CREATE on the catalog. A call marked
        ``credentials`` returns the principal's client id and secret, which the bootstrap job
        keeps in a Secret of that name.
        """
        mgmt = "/api/management/v1"
        calls: list[dict[str, Any]] = [
            {
                "method": "POST",
                "path": f"{mgmt}/catalogs",
                "body": {
                    "catalog": {
                        "name": catalog,
                        "type": "INTERNAL",
                        "properties": {"default-base-location": base_location},
                        "storageConfigInfo": {
                            "storageType": "S3",
                            "allowedLocations": [base_location],
                        },
                    }
                },
            }
        ]
        principals = dict(self.config.principals)
        principal_roles = dict(self.config.principal_roles)
        catalog_roles = {k: list(v) for k, v in self.config.catalog_roles.items()}
        for product, namespace in sorted(products.items()):
            calls.append(
                {
                    "method": "POST",
                    "path": f"/api/catalog/v1/{catalog}/namespaces",
                    "body": {"namespace": [namespace], "properties": {"owner": product}},
                }
            )
            runner, writer = f"{namespace}_runner", f"{namespace}_writer"
            taken = [
                n
                for n, names in (
                    (runner, principals),
                    (runner, principal_roles),
                    (writer, catalog_roles),
                )
                if n in names
            ]
            if taken:
                raise ValueError(
                    f"rbac: '{taken[0]}' is the name floe gives product {product}'s own "
                    "principal and roles; rename the manifest's entry"
                )
            principals[runner] = [runner]
            principal_roles[runner] = [writer]
            catalog_roles[writer] = [
                Grant(privilege=p, scope=namespace)
                for p in ("TABLE_CREATE", "TABLE_LIST", "TABLE_WRITE_DATA", "TABLE_DROP")
            ]
        for crole, grants in sorted(catalog_roles.items()):
            base = f"{mgmt}/catalogs/{catalog}/catalog-roles"
            calls.append({"method": "POST", "path": base, "body": {"catalogRole": {"name": crole}}})
            for grant in grants:
                calls.append(
                    {"method": "PUT", "path": f"{base}/{crole}/grants", "body": _grant(grant)}
                )
        for prole, croles in sorted(principal_roles.items()):
            calls.append(
                {
                    "method": "POST",
                    "path": f"{mgmt}/principal-roles",
                    "body": {"principalRole": {"name": prole}},
                }
            )
            for crole in croles:
                calls.append(
                    {
                        "method": "PUT",
                        "path": f"{mgmt}/principal-roles/{prole}/catalog-roles/{catalog}",
                        "body": {"catalogRole": {"name": crole}},
                    }
                )
        for principal, proles in sorted(principals.items()):
            calls.append(
                {
                    "method": "POST",
                    "path": f"{mgmt}/principals",
                    "body": {"principal": {"name": principal}},
                    "credentials": f"principal-{principal.replace('_', '-')}",
                }
            )
            for prole in proles:
                calls.append(
                    {
                        "method": "PUT",
                        "path": f"{mgmt}/principals/{principal}/principal-roles",
                        "body": {"principalRole": {"name": prole}},
                    }
                )
        return calls


def _grant(grant: Grant) -> dict[str, Any]:
    """A manifest grant as Polaris's grant resource (catalog, namespace or table level)."""
    if grant.scope == "*":
        return {"grant": {"type": "catalog", "privilege": grant.privilege}}
    namespace, _, table = grant.scope.partition(".")
    if table:
        return {
            "grant": {
                "type": "table",
                "privilege": grant.privilege,
                "namespace": [namespace],
                "tableName": table,
            }
        }
    return {"grant": {"type": "namespace", "privilege": grant.privilege, "namespace": [namespace]}}
