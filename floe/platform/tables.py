"""Tables of the running platform's catalog, read as the platform or as one of the manifest's
principals: list, read (at a snapshot or a point in time), snapshot history.

A refusal by the catalog is a security event: floe logs who was refused what, then says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from floe.errors import AccessDeniedError, TableNotFoundError
from floe.observability.logging import get_logger
from floe.platform import catalog_access
from floe.platform import secrets as sec
from floe.platform.settings import PlatformSettings
from floe.runtime.iceberg import count_rows, summary_count

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

_LOG = get_logger("floe.security")
PLATFORM = "platform"


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: int
    parent_id: int | None
    committed_at: datetime
    operation: str
    added_records: int
    deleted_records: int
    total_records: int
    schema_id: int | None


def open_catalog(settings: PlatformSettings, principal: str = PLATFORM) -> Catalog:
    """The catalog as the platform itself or as a principal of the registered manifest."""
    from pyiceberg.exceptions import OAuthError

    if principal == PLATFORM:
        secrets = sec.ensure(settings.home)
        key = secrets[sec.S3_ACCESS_KEY].get_secret_value()
        secret = secrets[sec.S3_SECRET_KEY]
    else:
        rbac = catalog_access.rbac_plugin(settings.manifest)
        known = sorted(rbac.config.principals) if rbac else []
        if principal not in known:
            _LOG.warning(
                "security.auth_failure",
                principal=principal,
                resource=settings.url("iceberg"),
                reason="not a principal of the platform's manifest",
            )
            raise AccessDeniedError(
                f"'{principal}' is not a principal of the platform's manifest "
                f"({', '.join(known) or 'it declares none'})",
                hint="use one of them, or 'platform' for the platform's own access",
            )
        key, secret = catalog_access.principal_credentials(settings.home, [principal])[principal]
    uri = settings.url("iceberg")
    try:
        return _load(principal, uri, key, secret, settings)
    except OAuthError as exc:  # the catalog refused the principal's credentials
        _LOG.warning(
            "security.auth_failure", principal=principal, resource=uri, reason=str(exc)[:200]
        )
        raise AccessDeniedError(
            f"the catalog at {uri} refused the credentials of '{principal}'",
            hint="the platform's credentials for it may be stale; 'floe platform up' renews them",
        ) from None


def _load(
    principal: str, uri: str, key: str, secret: SecretStr, settings: PlatformSettings
) -> Catalog:
    from pyiceberg.catalog import load_catalog

    return load_catalog(
        f"floe-{principal}",
        type="rest",
        uri=uri,
        warehouse="warehouse",
        credential=f"{key}:{secret.get_secret_value()}",
        scope="PRINCIPAL_ROLE:ALL",
        **{
            "oauth2-server-uri": f"{uri}/v1/oauth/tokens",
            "s3.endpoint": settings.url("s3"),
            "s3.access-key-id": key,
            "s3.secret-access-key": secret.get_secret_value(),
            "s3.region": "us-east-1",
            "s3.connect-timeout": "10",
        },
    )


def _guard(principal: str, action: str, resource: str, call: Any) -> Any:
    """Run a catalog call; a 403 becomes a logged security event and a clear error."""
    from pyiceberg.exceptions import ForbiddenError, NoSuchNamespaceError, NoSuchTableError

    try:
        return call()
    except ForbiddenError as exc:
        _LOG.warning(
            "security.access_denied",
            principal=principal,
            action=action,
            resource=resource,
            status=403,
            detail=str(exc)[:200],
        )
        raise AccessDeniedError(
            f"the catalog refused '{principal}' {action} on '{resource}' (HTTP 403)",
            hint="the manifest's plugins.rbac grants privileges; ask the platform team",
        ) from None
    except (NoSuchTableError, NoSuchNamespaceError):
        raise TableNotFoundError(
            f"'{resource}' does not exist in the catalog, or '{principal}' may not see it",
            hint="floe table list NAMESPACE shows the tables you may see",
        ) from None


def list_tables(catalog: Catalog, principal: str, namespace: str) -> list[str]:
    found = _guard(principal, "LIST_TABLES", namespace, lambda: catalog.list_tables(namespace))
    return sorted(".".join(t) for t in found)


def load(catalog: Catalog, principal: str, identifier: str) -> Table:
    return _guard(principal, "LOAD_TABLE", identifier, lambda: catalog.load_table(identifier))  # type: ignore[no-any-return]


def history(table: Table) -> list[Snapshot]:
    """Every snapshot the table still holds, oldest first: the rows its commit added and deleted
    (from its summary) and the rows a reader sees in it (counted from its manifests: summaries
    of tables rewritten by pyiceberg still count delete files of files that left the table)."""
    rows = []
    for snap in sorted(table.snapshots(), key=lambda s: s.timestamp_ms):
        summary = snap.summary
        extra = summary.additional_properties if summary else {}
        operation = str(summary.operation.value) if summary else "unknown"
        # A replace (compaction) drops files whose rows were already deleted: no row changes.
        changed = operation != "replace"
        rows.append(
            Snapshot(
                snapshot_id=snap.snapshot_id,
                parent_id=snap.parent_snapshot_id,
                committed_at=datetime.fromtimestamp(snap.timestamp_ms / 1000, tz=UTC),
                operation=operation,
                added_records=summary_count(extra, "added-records") if changed else 0,
                # DuckDB deletes with position-delete files: those rows count as deleted too.
                deleted_records=summary_count(extra, "deleted-records", "added-position-deletes")
                if changed
                else 0,
                total_records=count_rows(table, snap.snapshot_id),
                schema_id=snap.schema_id,
            )
        )
    return rows


def snapshot_at(table: Table, as_of: datetime) -> int:
    """The id of the snapshot that was current at ``as_of``."""
    snap = table.snapshot_as_of_timestamp(int(as_of.timestamp() * 1000))
    if snap is None:
        first = min((s.timestamp_ms for s in table.snapshots()), default=None)
        when = datetime.fromtimestamp(first / 1000, tz=UTC).isoformat() if first else "never"
        raise TableNotFoundError(
            f"the table had no snapshot at {as_of.isoformat()} (its first: {when})",
            hint="pick a time after its first snapshot: floe table history TABLE",
        )
    return snap.snapshot_id


def read(table: Table, limit: int | None, snapshot_id: int | None = None) -> pa.Table:
    if snapshot_id is not None and table.snapshot_by_id(snapshot_id) is None:
        raise TableNotFoundError(
            f"snapshot {snapshot_id} is not in the table's history",
            hint="floe table history TABLE lists the snapshots it holds",
        )
    return table.scan(snapshot_id=snapshot_id, limit=limit).to_arrow()
