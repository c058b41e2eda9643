"""Keeps a product's tables bounded in a long-running platform: rows older than the retention
window are deleted (an Iceberg commit, by timestamp), files without a live row leave the current
snapshot (compaction, see ``compaction``), snapshots beyond the ones kept are expired, and the
files no kept snapshot references (and all but the newest metadata files) are removed from the
bucket.

Files younger than a grace period are never removed: a writer may have uploaded them for a
commit that has not landed yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from floe.artifact.models import CompiledArtifacts
from floe.observability.logging import get_logger
from floe.runtime.compaction import compact
from floe.runtime.iceberg import open_catalog, s3_filesystem

if TYPE_CHECKING:
    from pyarrow import fs
    from pyiceberg.table import Table

_LOG = get_logger("floe.maintenance")
FILE_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class TableMaintenance:
    table: str
    rows_deleted: int = 0
    files_compacted: int = 0
    snapshots_expired: list[int] = field(default_factory=list)
    files_removed: int = 0
    bytes_freed: int = 0

    def metadata(self) -> dict[str, Any]:
        return {
            "rows_deleted": self.rows_deleted,
            "files_compacted": self.files_compacted,
            "snapshots_expired": len(self.snapshots_expired),
            "expired_snapshot_ids": ",".join(str(s) for s in self.snapshots_expired),
            "files_removed": self.files_removed,
            "bytes_freed": self.bytes_freed,
        }


def _cutoff_literal(table: Table, column: str, cutoff: datetime) -> str:
    """The cutoff as an ISO literal of the column's own type (with or without a zone)."""
    from pyiceberg.types import TimestamptzType

    field_type = table.schema().find_field(column).field_type
    if isinstance(field_type, TimestamptzType):
        return cutoff.isoformat()
    return cutoff.replace(tzinfo=None).isoformat()


def expire_rows(table: Table, column: str, cutoff: datetime) -> int:
    """Delete the rows whose ``column`` is older than ``cutoff``; return how many went."""
    before = _count_rows(table, column)
    # A row filter in pyiceberg's own syntax; the column name was validated as an identifier.
    table.delete(delete_filter=f"{column} < '{_cutoff_literal(table, column, cutoff)}'")
    table.refresh()
    return before - _count_rows(table, column)


def _count_rows(table: Table, column: str) -> int:
    """Exact, by reading one column: summaries of tables DuckDB wrote with position deletes do
    not always add up to what a reader sees."""
    return int(table.scan(selected_fields=(column,)).to_arrow().num_rows)


def expire_snapshots(table: Table, keep: int) -> list[int]:
    """Expire every snapshot but the ``keep`` newest (the current one always stays)."""
    snapshots = sorted(table.snapshots(), key=lambda s: s.timestamp_ms)
    current = table.current_snapshot()
    old = [
        s.snapshot_id
        for s in snapshots[: max(len(snapshots) - keep, 0)]
        if current is None or s.snapshot_id != current.snapshot_id
    ]
    if old:
        table.maintenance.expire_snapshots().by_ids(old).commit()
        table.refresh()
    return old


def referenced_files(table: Table) -> set[str]:
    """Every data, delete, manifest and manifest-list file a kept snapshot reads."""
    io = table.io
    files: set[str] = set()
    for snap in table.snapshots():
        files.add(snap.manifest_list)
        for manifest in snap.manifests(io):
            files.add(manifest.manifest_path)
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=False):
                files.add(entry.data_file.file_path)
    return files


def kept_metadata_files(table: Table, versions: int) -> tuple[set[str], datetime]:
    """The table's current metadata file and the ``versions`` newest before it, and the time
    before which other metadata files may go. Every commit writes a new one and neither DuckDB
    nor the catalog deletes the old ones; readers and time travel need only the current one (its
    snapshot log), the few before it allow a rollback. A metadata file written after the oldest
    kept one (a commit landing right now) always stays, whatever the grace period."""
    log = sorted(table.metadata.metadata_log, key=lambda e: e.timestamp_ms)[-versions:]
    oldest = log[0].timestamp_ms if log else table.metadata.last_updated_ms
    # Whole seconds: object stores may round a file's time.
    before = datetime.fromtimestamp(oldest // 1000 - 1, tz=UTC)
    return {table.metadata_location, *(e.metadata_file for e in log)}, before


def remove_unreferenced_files(
    table: Table,
    s3: fs.S3FileSystem,
    now: datetime,
    grace: timedelta = FILE_GRACE,
    metadata_versions: int = 10,
) -> tuple[int, int]:
    """Remove the table's data and manifest files no kept snapshot references, and its metadata
    files but the newest ``metadata_versions``. Returns (files, bytes)."""
    from pyarrow import fs

    metadata, metadata_before = kept_metadata_files(table, metadata_versions)
    keep = {f.split("://", 1)[-1] for f in referenced_files(table) | metadata}
    location = table.location().split("://", 1)[-1].rstrip("/")
    removed, freed = 0, 0
    for info in s3.get_file_info(fs.FileSelector(location, recursive=True)):
        if info.type != fs.FileType.File or info.path in keep:
            continue
        is_data = "/data/" in info.path
        is_manifest = "/metadata/" in info.path and info.path.endswith(".avro")
        is_metadata = (
            "/metadata/" in info.path
            and info.path.endswith(".metadata.json")
            and info.mtime is not None
            and info.mtime < metadata_before
        )
        too_young = info.mtime is not None and info.mtime > now - grace
        if (is_data or is_manifest or is_metadata) and not too_young:
            s3.delete_file(info.path)
            removed += 1
            freed += info.size or 0
    return removed, freed


def maintain(
    compiled: CompiledArtifacts, now: datetime, grace: timedelta = FILE_GRACE
) -> list[TableMaintenance]:
    """Retention, compaction, snapshot expiry and file cleanup for every table of the product."""
    catalog = open_catalog(compiled)
    s3 = s3_filesystem(compiled)
    window = timedelta(hours=compiled.governance.max_retention_hours)
    results = []
    for t in compiled.transforms:
        if not catalog.table_exists(t.table):
            continue
        table = catalog.load_table(t.table)
        rows = expire_rows(table, t.retention_column, now - window) if t.retention_column else 0
        compacted = compact(table)
        expired = expire_snapshots(table, compiled.governance.keep_snapshots)
        # The clock read again: the snapshots this run committed and then expired are younger
        # than ``now`` and would otherwise outlive their grace period.
        files, freed = remove_unreferenced_files(
            table, s3, datetime.now(UTC), grace, compiled.governance.keep_snapshots
        )
        result = TableMaintenance(t.table, rows, compacted.files, expired, files, freed)
        _LOG.info(
            "maintenance.table", product=compiled.product.name, table=t.table, **result.metadata()
        )
        results.append(result)
    return results
