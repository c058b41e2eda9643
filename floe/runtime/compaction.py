"""Drops from a table's current snapshot the files that no longer hold a live row, so that
snapshot expiry can then remove them from the bucket.

DuckDB replaces a table's rows by deleting them all by position: each run leaves the old data
file (every row deleted) and a position-delete file in the table, forever, and a copy-on-write
delete by pyiceberg (retention) leaves the delete files of the files it rewrote. Expiring
snapshots frees nothing while the current snapshot still lists them, so a long-running platform's
bucket would only grow. pyiceberg 0.12 has no rewrite action that removes delete files, so this
module commits a ``replace`` snapshot (the spec's operation for compaction: no row changes) that
leaves out

- data files whose every row a position-delete file deletes,
- position-delete files all of whose rows point at such files or at files no longer in the
  table (paths are unique: such a file can never apply to anything again), and
- manifests that only record files removed by earlier commits.

Only whole delete manifests are left out (DuckDB writes one per commit); a manifest that mixes a
removable delete file with one that still applies stays as it is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from floe.observability.logging import get_logger

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.io import FileIO
    from pyiceberg.manifest import DataFile, ManifestFile
    from pyiceberg.table import Table
    from pyiceberg.table.snapshots import Summary

_LOG = get_logger("floe.maintenance")


@dataclass(frozen=True)
class Compaction:
    data_files: int = 0
    delete_files: int = 0

    @property
    def files(self) -> int:
        return self.data_files + self.delete_files


@dataclass(frozen=True)
class _Plan:
    dead_data: list[DataFile]
    dropped_manifests: set[str]
    dropped_deletes: list[DataFile]


def _position_rows(io: FileIO, delete: DataFile) -> pa.Table | None:
    """The (file_path, pos) rows of a position-delete file; None if it is another kind of
    delete file or one this cannot read."""
    import pyarrow.parquet as pq
    from pyiceberg.manifest import DataFileContent

    if delete.content != DataFileContent.POSITION_DELETES or delete.file_format.name != "PARQUET":
        return None
    with io.new_input(delete.file_path).open() as stream:
        rows = pq.read_table(stream)
    if "file_path" not in rows.column_names or "pos" not in rows.column_names:
        return None
    return rows.select(["file_path", "pos"])


def _distinct_positions(parts: list[pa.Table]) -> dict[str, int]:
    """Deleted rows per data file path, each position once (two delete files may name a row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not parts:
        return {}
    rows = pa.concat_tables(parts, promote_options="permissive")
    grouped = rows.group_by("file_path").aggregate([("pos", "count_distinct")])
    paths = grouped.column("file_path").to_pylist()
    counts = pc.cast(grouped.column("pos_count_distinct"), "int64").to_pylist()
    return dict(zip(paths, counts, strict=True))


def _plan(table: Table) -> _Plan | None:
    from pyiceberg.manifest import ManifestContent

    snapshot = table.current_snapshot()
    if snapshot is None:
        return None
    io = table.io
    data: dict[str, DataFile] = {}
    deletes: dict[str, list[DataFile]] = defaultdict(list)
    # Manifests that only record removals: they matter to the snapshot that removed the files,
    # but DuckDB (and pyiceberg's overwrite) carry them into every later snapshot, and with them
    # every file ever removed stays referenced, so expiry can never free it.
    tombstones: set[str] = set()
    for manifest in snapshot.manifests(io):
        live = manifest.fetch_manifest_entry(io, discard_deleted=True)
        if not live:
            tombstones.add(manifest.manifest_path)
        for entry in live:
            if manifest.content == ManifestContent.DATA:
                data[entry.data_file.file_path] = entry.data_file
            else:
                deletes[manifest.manifest_path].append(entry.data_file)

    parts: list[pa.Table] = []
    targets: dict[str, set[str]] = {}
    unreadable: set[str] = set()
    for manifest_path, files in deletes.items():
        for delete in files:
            rows = _position_rows(io, delete)
            if rows is None:
                unreadable.add(manifest_path)
                continue
            parts.append(rows)
            targets[delete.file_path] = set(rows.column("file_path").unique().to_pylist())
    deleted = _distinct_positions(parts)

    dead = {p for p, f in data.items() if deleted.get(p, 0) >= f.record_count > 0}
    gone = dead | (set(deleted) - set(data))
    dropped_deletes = {
        m
        for m, files in deletes.items()
        if m not in unreadable and all(targets[f.file_path] <= gone for f in files)
    }
    if not dead and not dropped_deletes and not tombstones:
        return None
    return _Plan(
        dead_data=[data[p] for p in sorted(dead)],
        dropped_manifests=dropped_deletes | tombstones,
        dropped_deletes=[f for m in sorted(dropped_deletes) for f in deletes[m]],
    )


def compact(table: Table) -> Compaction:
    """Commit a replace snapshot without the table's dead files; nothing if none. A concurrent
    commit makes this give up until the next maintenance run (the files are still dead then)."""
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    plan = _plan(table)
    if plan is None:
        return Compaction()
    try:
        with table.transaction() as tx:
            producer = _replace_producer(tx, table, plan)
            for data_file in plan.dead_data:
                producer.delete_data_file(data_file)
            producer.commit()
    except (CommitFailedException, ValidationException) as exc:
        _LOG.warning("maintenance.compaction_skipped", table=str(table.name()), reason=str(exc))
        return Compaction()
    table.refresh()
    return Compaction(len(plan.dead_data), len(plan.dropped_deletes))


def _replace_producer(tx: Any, table: Table, plan: _Plan) -> Any:
    """pyiceberg's overwrite producer, taught to leave out whole delete manifests and to record
    the commit as a ``replace`` with the delete files it removed in the summary totals (its own
    producers only remove data files and refuse the ``replace`` operation)."""
    from pyiceberg.table.refs import MAIN_BRANCH
    from pyiceberg.table.snapshots import Operation
    from pyiceberg.table.snapshots import Summary as SummaryType
    from pyiceberg.table.update.snapshot import _OverwriteFiles

    removed_files = len(plan.dropped_deletes)
    removed_positions = sum(f.record_count for f in plan.dropped_deletes)
    removed_bytes = sum(f.file_size_in_bytes for f in plan.dropped_deletes)

    class _Replace(_OverwriteFiles):
        def _existing_manifests(self) -> list[ManifestFile]:
            kept = super()._existing_manifests()
            return [m for m in kept if m.manifest_path not in plan.dropped_manifests]

        def _summary(self, snapshot_properties: dict[str, str] | None = None) -> Summary:
            props = dict(super()._summary(snapshot_properties or {}).additional_properties)
            if removed_files:
                _shift(props, "removed-delete-files", removed_files)
                _shift(props, "removed-position-delete-files", removed_files)
                _shift(props, "removed-position-deletes", removed_positions)
                _shift(props, "removed-files-size", removed_bytes)
                _shift(props, "total-delete-files", -removed_files)
                _shift(props, "total-position-deletes", -removed_positions)
                _shift(props, "total-files-size", -removed_bytes)
            return SummaryType(Operation.REPLACE, **props)

    return _Replace(operation=Operation.DELETE, transaction=tx, io=table.io, branch=MAIN_BRANCH)


def _shift(props: dict[str, str], key: str, by: int) -> None:
    if by > 0 or key in props:
        props[key] = str(max(int(props.get(key, "0")) + by, 0))
