"""Answer ``floe compile`` of an unchanged product from what the last compile wrote.

A compile is a pure function of its inputs, so when nothing it reads changed and nothing it
wrote was touched, compiling again would rewrite the same bytes. One record per (product,
manifest option, output folder) in the user's cache holds a key over every input and the
sha256 of every file the compile wrote; a lookup recomputes both and answers only when both
match. A lookup imports nothing heavy: it is how an unchanged compile stays well under a
second when building the compiler's models alone would not.

What the key covers, so that a hit can never hide a change:
- every file of the product's folder (floe.yaml and the dbt project), except folders dbt and
  Python write into (target, logs, dbt_packages, __pycache__, .floe);
- the manifest the compile read, and folders outside the product that dbt_project.yml names;
- floe's own package files (size and mtime), the mtime of every folder on ``sys.path`` (a
  plugin installed or removed changes its site-packages folder), and every ``FLOE_*``
  variable except those that only change how the CLI prints.

A plugin installed in editable mode whose source changes in place is not seen: pass
``--no-cache`` after editing one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import floe
from floe import config
from floe.errors import FloeError

IGNORED_DIRS = frozenset({"target", "logs", "dbt_packages", "__pycache__", ".floe", ".git"})
# Variables that change how the CLI prints or traces, never what a compile writes.
OUTPUT_ONLY_VARIABLES = frozenset(
    {config.FLOE_CACHE_DIR, config.FLOE_DEBUG, config.FLOE_LOG_FORMAT, config.FLOE_OTLP_ENDPOINT}
)
RECORD_VERSION = 1


@dataclass(frozen=True)
class CachedCompile:
    """What ``floe compile`` prints for a product, as recorded after its last compile."""

    product: str
    row: list[str]
    warnings: list[str]


def lookup(product: Path, manifest: Path | None, output_dir: Path) -> CachedCompile | None:
    """The recorded compile if its inputs and outputs are exactly as it left them."""
    record_path = _record_path(product, manifest, output_dir)
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("version") != RECORD_VERSION:
            return None
        inputs = [Path(p) for p in record["inputs"]]
        if record["key"] != _key(_product_dir(product), inputs):
            return None
        if record["outputs"] != _fingerprint_outputs(Path(p) for p in record["outputs"]):
            return None
        if record.get("manifest_ref") and _moved(record["manifest_ref"], inputs[0]):
            return None
        return CachedCompile(record["product"], list(record["row"]), list(record["warnings"]))
    except (OSError, ValueError, KeyError, TypeError, FloeError):
        # No record, an unreadable one, an input that is gone, a registry that does not answer:
        # compile (and say what is wrong, if anything is).
        return None


def _moved(reference: str, pulled: Path) -> bool:
    """Whether the manifest's oci:// reference names other bytes than the compile read (a tag
    moved); one HEAD request to the registry."""
    from floe.compiler import remote_manifest

    return remote_manifest.fetch(reference, "floe.yaml").resolve() != pulled.resolve()


def store(
    product: Path,
    manifest: Path | None,
    output_dir: Path,
    *,
    manifest_path: Path,
    manifest_ref: str | None = None,
    files: Iterable[Path],
    run_dir: Path,
    answer: CachedCompile,
) -> None:
    """Record a successful compile: ``files`` it generated and the run project in ``run_dir``,
    whose links name the folders it read beyond the product's own (dbt paths outside it)."""
    product_dir = _product_dir(product).resolve()
    written = _run_project_entries(run_dir)
    outside = sorted(
        {
            target
            for entry in written
            if entry.is_symlink()
            and product_dir not in [target := entry.resolve(), *target.parents]
        }
    )
    inputs = [manifest_path, *outside]
    outputs = [*files, *written]
    record = {
        "version": RECORD_VERSION,
        "product": answer.product,
        "key": _key(_product_dir(product), inputs),
        "inputs": [str(p.resolve()) for p in inputs],
        "manifest_ref": manifest_ref,
        "outputs": _fingerprint_outputs(outputs),
        "row": answer.row,
        "warnings": answer.warnings,
    }
    path = _record_path(product, manifest, output_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def _product_dir(product: Path) -> Path:
    return product.parent if product.is_file() else product


def _record_path(product: Path, manifest: Path | None, output_dir: Path) -> Path:
    where = "\0".join(
        str(p.resolve()) if p is not None else "-" for p in (product, manifest, output_dir)
    )
    name = hashlib.sha256(where.encode()).hexdigest()
    return config.cache_dir() / "compile" / f"{name}.json"


def _key(product_dir: Path, inputs: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    digest.update(f"floe {floe.__version__}\0".encode())
    _hash_stats(digest, Path(floe.__file__).parent)
    for entry in sys.path[1:]:  # [0] is the script's folder or the working directory
        if entry and os.path.isdir(entry):
            digest.update(f"path {entry} {os.stat(entry).st_mtime_ns}\0".encode())
    for name in sorted(os.environ):
        if name.startswith("FLOE_") and name not in OUTPUT_ONLY_VARIABLES:
            digest.update(f"env {name}={os.environ[name]}\0".encode())
    for root in [product_dir, *inputs]:
        _hash_contents(digest, root)
    return digest.hexdigest()


def _walk(root: Path) -> Iterable[tuple[Path, str]]:
    """Every file under ``root`` in a fixed order with its path relative to ``root``."""
    if root.is_file():
        yield root, root.name
        return
    if not root.is_dir():
        raise FileNotFoundError(root)
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        rel = Path(folder).relative_to(root)
        for name in sorted(files):
            yield Path(folder) / name, (rel / name).as_posix()


def _hash_contents(digest: hashlib._Hash, root: Path) -> None:
    digest.update(f"root {root.resolve()}\0".encode())
    for path, rel in _walk(root):
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")


def _hash_stats(digest: hashlib._Hash, root: Path) -> None:
    for path, rel in _walk(root):
        stat = path.stat()
        digest.update(f"{rel} {stat.st_size} {stat.st_mtime_ns}\0".encode())


def _run_project_entries(run_dir: Path) -> list[Path]:
    """Files and links the compile laid out, without entering the product's folders."""
    found = []
    for folder, dirs, files in os.walk(run_dir):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        links = [d for d in dirs if (Path(folder) / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in links]
        found += [Path(folder) / name for name in sorted([*files, *links])]
    return found


def _fingerprint_outputs(paths: Iterable[Path]) -> dict[str, str]:
    """sha256 of each file; a symlink (the run project's links) by its target."""
    found: dict[str, str] = {}
    for path in paths:
        if path.is_symlink():
            found[str(path)] = f"-> {os.readlink(path)}"
        else:
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found
