"""The product's Iceberg catalog, opened from its artifact through the catalog and storage
plugins, with the running platform's endpoints taking precedence over the manifest's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from floe import config
from floe.artifact.models import CompiledArtifacts
from floe.plugins.base import CatalogPlugin, StoragePlugin
from floe.plugins.registry import default_loader

if TYPE_CHECKING:
    from pyarrow import fs
    from pyiceberg.catalog import Catalog
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table


def catalog_properties(compiled: CompiledArtifacts) -> dict[str, str]:
    loader = default_loader()
    cat = cast(
        CatalogPlugin[Any],
        loader.create("catalog", compiled.plugins.catalog.type, compiled.plugins.catalog.config),
    )
    sto = cast(
        StoragePlugin[Any],
        loader.create("storage", compiled.plugins.storage.type, compiled.plugins.storage.config),
    )
    props = {**cat.connection_properties(), **sto.s3_properties()}
    props["uri"] = config.catalog_uri(props["uri"])
    if "warehouse" in props:
        props["warehouse"] = config.warehouse(props["warehouse"])
    props["s3.endpoint"] = config.s3_endpoint(props["s3.endpoint"])
    return props


def open_catalog(compiled: CompiledArtifacts) -> Catalog:
    from pyiceberg.catalog import load_catalog

    return load_catalog(compiled.product.name, **catalog_properties(compiled))


def summary_count(summary: Mapping[str, str], *keys: str) -> int:
    return sum(int(summary.get(k, 0)) for k in keys)


# The file_path column of a position-delete file: the spec's field id, and the one DuckDB writes.
_DELETED_PATH_FIELDS = (2147483546, 2147483646)
# Iceberg truncates string bounds to 16 characters by default; a path bound is whole or useless.
_TRUNCATED = 16


def _deleted_from(delete: DataFile) -> str | None:
    """The one data file a position-delete file deletes rows of, if its bounds say so."""
    from pyiceberg.manifest import DataFileContent

    if delete.content != DataFileContent.POSITION_DELETES:
        return None
    for field_id in _DELETED_PATH_FIELDS:
        low = (delete.lower_bounds or {}).get(field_id)
        if low is not None and low == (delete.upper_bounds or {}).get(field_id):
            path = low.decode("utf-8", errors="replace")
            return path if len(path) > _TRUNCATED else None
    return None


def count_rows(table: Table, snapshot_id: int) -> int:
    """Rows a reader sees at the snapshot, from the manifests where they settle it.

    DuckDB replaces a table's rows by deleting them all by position, so after N runs a table
    holds N data files and N-1 position-delete files, each deleting one file's rows. pyiceberg
    gives every data file every later delete file (DuckDB's path bounds carry a field id it does
    not read) and a scan to count reads them all: 1.5-2 s per table after 20 runs, 5-7 s after
    40, in every run. Each data file's records less the positions deleted from it is exact; a
    delete file that does not name its one data file (equality deletes, other writers) makes
    this a scan. Delete files left behind by a rewrite name files no longer in the table and
    match none (the snapshot summary's totals count them until maintenance compacts them away)."""
    scan = table.scan(snapshot_id=snapshot_id)
    rows = 0
    for task in scan.plan_files():
        deleted = 0
        for delete in task.delete_files:
            target = _deleted_from(delete)
            if target is None:
                return scan.count()
            if target == task.file.file_path:
                deleted += delete.record_count
        rows += task.file.record_count - deleted
    return rows


def s3_filesystem(compiled: CompiledArtifacts) -> fs.S3FileSystem:
    """The product's bucket storage, as the product's own credentials see it."""
    from pyarrow import fs

    props = catalog_properties(compiled)
    endpoint = props["s3.endpoint"]
    return fs.S3FileSystem(
        access_key=props.get("s3.access-key-id"),
        secret_key=props.get("s3.secret-access-key"),
        endpoint_override=endpoint.split("://", 1)[-1],
        scheme="https" if endpoint.startswith("https") else "http",
        region=props.get("s3.region", "us-east-1"),
        connect_timeout=5,
        request_timeout=10,
        retry_strategy=fs.AwsStandardS3RetryStrategy(max_attempts=2),
    )


def probe_write(s3: fs.S3FileSystem, table_location: str) -> str | None:
    """Write and delete one tiny object in a table's data folder: None if storage took it,
    else what storage answered."""
    import uuid

    probe = f"{table_location.split('://', 1)[-1].rstrip('/')}/data/_floe-probe-{uuid.uuid4().hex}"
    try:
        with s3.open_output_stream(probe) as out:
            out.write(b"floe")
        s3.delete_file(probe)
    except OSError as exc:
        return " ".join(str(exc).split())[:200]
    return None
