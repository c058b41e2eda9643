"""dbt-core: the project floe runs, and its manifest compiled once, at compile time, by dbt.

A product is any plain dbt project. floe never edits it: the compiler lays out a small "run
project" beside the artifact whose dbt_project.yml is the product's own, whose folders link
back to the product's, and which adds the compute engine's macros. dbt runs from there, so its
target/ and logs stay out of the product's folder too.

The compile is cached under the content hash of both projects, so recompiling an unchanged
product costs no dbt invocation at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import yaml

from floe.artifact.io import write_if_changed
from floe.config import cache_dir
from floe.errors import ResolveError
from floe.plugins.base import DBTPlugin, EmptyConfig, HealthStatus

IGNORED_DIRS = {"target", "logs", "dbt_packages", "__pycache__", ".floe"}
# floe.yaml sits in the project folder but is not dbt's; it is hashed on its own.
IGNORED_FILES = {"floe.yaml"}
PARSE_SCHEMA = "main"
PARSE_PROFILE = f"""floe_parse:
  target: parse
  outputs:
    parse:
      type: duckdb
      path: ':memory:'
      schema: {PARSE_SCHEMA}
"""
# Keys dbt fills with timestamps, ids or machine paths; dropped so output is reproducible.
VOLATILE_KEYS = {
    "created_at",
    "generated_at",
    "invocation_id",
    "invocation_started_at",
    "root_path",
    "env",
    "user_id",
    "build_path",
    "run_started_at",
    "compiled_path",
}
# dbt's path settings and their defaults; each is rewritten to point at the product's folder.
PATH_LISTS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "test-paths": ["tests"],
    "macro-paths": ["macros"],
    "snapshot-paths": ["snapshots"],
    "analysis-paths": ["analyses"],
    "docs-paths": None,
    "asset-paths": None,
    "function-paths": ["functions"],
}
# Where dbt writes; the run project keeps its own.
DROPPED_KEYS = {"target-path", "log-path", "clean-targets", "profile", "source-paths", "data-paths"}
# Configs that add up across levels instead of the innermost winning.
HOOK_KEYS = frozenset({"pre-hook", "post-hook"})
MACROS_DIR = "floe_macros"


def project_hash(project_dir: Path) -> str:
    """sha256 over every file dbt reads: the project folder plus path settings outside it.

    Symlinked folders are followed: the run project reaches the product's folders that way.
    """
    digest = hashlib.sha256()
    for index, root in enumerate([project_dir, *_outside_paths(project_dir)]):
        digest.update(f"root {index}\0".encode())
        for folder, dirs, files in sorted(os.walk(root, followlinks=True)):
            rel_dir = Path(folder).relative_to(root)
            dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
            for name in sorted(files):
                rel = rel_dir / name
                if IGNORED_DIRS.intersection(rel.parts):
                    continue
                if rel_dir == Path() and name in IGNORED_FILES:
                    continue
                data = (Path(folder) / name).read_bytes()
                digest.update(rel.as_posix().encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def _read_project(project_dir: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ResolveError(
            f"dbt_project.yml in '{project_dir.name}' cannot be read: {type(exc).__name__}",
            hint="fix dbt_project.yml (it must be a YAML mapping)",
        ) from exc
    if not isinstance(data, dict):
        raise ResolveError(
            f"dbt_project.yml in '{project_dir.name}' is not a YAML mapping",
            hint="start it with 'name: my_project'",
        )
    return data


def _outside_paths(project_dir: Path) -> list[Path]:
    """Path settings that point outside the project (e.g. a shared '../macros')."""
    try:
        project = _read_project(project_dir)
    except ResolveError:
        return []
    inside = project_dir.resolve()
    found = []
    for key in PATH_LISTS:
        for p in project.get(key) or []:
            full = (project_dir / str(p)).resolve()
            if full.is_dir() and inside not in [full, *full.parents]:
                found.append(full)
    return sorted(set(found))


def lay_out_run_project(
    project_dir: Path,
    run_dir: Path,
    macro_dirs: Mapping[str, Path],
    project_config: Mapping[str, Any] | None = None,
) -> None:
    """Write the run project into ``run_dir``: the product's dbt_project.yml, a relative
    symlink per top-level folder it names (so dbt sees the same file paths as in the product,
    and writes compiled SQL under run_dir/target only), and the engine's macros.

    Same inputs, same tree, wherever the repository is checked out.
    """
    project = _read_project(project_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    run: dict[str, Any] = {k: v for k, v in project.items() if k not in DROPPED_KEYS}
    links: dict[str, Path] = {}
    outside = 0
    for key, default in PATH_LISTS.items():
        paths = project.get(key, default)
        if paths is None:
            continue
        rewritten = []
        for raw in paths:
            p = Path(str(raw))
            if p.is_absolute():
                rewritten.append(str(raw))
                continue
            parts = Path(os.path.normpath(p)).parts
            if parts and parts[0] != ".." and parts[0] not in (MACROS_DIR, "target", "logs"):
                links[parts[0]] = project_dir / parts[0]
                rewritten.append(Path(*parts).as_posix())
            else:
                name = f"floe_path_{outside}"
                outside += 1
                links[name] = project_dir / p
                rewritten.append(name)
        run[key] = rewritten
    packages = str(project.get("packages-install-path", "dbt_packages"))
    links["dbt_packages"] = project_dir / packages
    run["packages-install-path"] = "dbt_packages"
    _sync_links(run_dir, {k: v for k, v in links.items() if v.is_dir()})
    macros = run_dir / MACROS_DIR
    wanted: set[Path] = set()
    for name, folder in sorted(macro_dirs.items()):
        for sql in sorted(folder.glob("*.sql")):
            target = macros / name / sql.name
            wanted.add(target)
            write_if_changed(target, sql.read_text(encoding="utf-8"))
    for old in sorted(macros.glob("*/*.sql")) if macros.is_dir() else []:
        if old not in wanted:
            old.unlink()
    if wanted:
        run["macro-paths"] = [*run.get("macro-paths", []), MACROS_DIR]
    for resource, configs in (project_config or {}).items():
        own = run.get(resource)
        run[resource] = _merge_configs(configs, own if isinstance(own, dict) else {})
    header = (
        "# Generated by floe from the product's dbt_project.yml: its folders are linked here\n"
        "# and the compute engine's macros added. Edit the product's file, not this one.\n"
    )
    write_if_changed(run_dir / "dbt_project.yml", header + yaml.safe_dump(run, sort_keys=False))


def _hooks(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _merge_configs(engine: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's project-wide configs under the product's own: the product's keys win, but
    hooks add up, as dbt adds them up between levels. A product's own top-level ``+pre-hook``
    used to replace the engine's, and with it the partition spec a model declares."""
    merged = {**engine, **own}
    for key, hooks in engine.items():
        if key.lstrip("+") not in HOOK_KEYS:
            continue
        theirs = [k for k in own if k.lstrip("+") == key.lstrip("+")]
        for spelling in theirs:
            del merged[spelling]
        merged[key] = [*_hooks(hooks), *(h for k in theirs for h in _hooks(own[k]))]
    return merged


def _sync_links(run_dir: Path, links: Mapping[str, Path]) -> None:
    for entry in sorted(run_dir.iterdir()):
        if entry.is_symlink() and entry.name not in links:
            entry.unlink()
    for name, target in links.items():
        link = run_dir / name
        rel = os.path.relpath(target.resolve(), run_dir.resolve())
        if link.is_symlink() and os.readlink(link) == rel:
            continue
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.is_dir():
            raise ResolveError(
                f"'{link}' is a folder, where floe keeps a link to the product's '{name}'",
                hint=f"delete '{link}' (floe generated it) and compile again",
            )
        link.symlink_to(rel, target_is_directory=True)


def scrub(value: Any) -> Any:
    """Drop volatile keys recursively."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


class DbtCorePlugin(DBTPlugin[EmptyConfig]):
    name = "dbt-core"
    requires: ClassVar[Mapping[str, str]] = {"dbt-core": ">=1.11,<1.12"}
    parse_schema: ClassVar[str] = PARSE_SCHEMA
    """The schema a node gets at parse time unless it asks for another (ENFORCE refuses those:
    a product writes only its own namespace, which its profile sets at run time)."""

    def run_project(
        self,
        project_dir: Path,
        run_dir: Path,
        macro_dirs: Mapping[str, Path],
        project_config: Mapping[str, Any],
    ) -> None:
        lay_out_run_project(project_dir, run_dir, macro_dirs, project_config)

    def parse_project(self, project_dir: Path) -> dict[str, Any]:
        from importlib.metadata import version

        # The key changes with the project(s), the dbt version and the way floe scrubs results.
        key = hashlib.sha256(
            f"{project_hash(project_dir)}:{version('dbt-core')}:{sorted(VOLATILE_KEYS)}".encode()
        ).hexdigest()
        cached = cache_dir() / "dbt-compile" / f"{key}.json"
        if cached.is_file():
            return json.loads(cached.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        manifest: dict[str, Any] = scrub(self._run_compile(project_dir))
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
        tmp.replace(cached)
        return manifest

    def _run_compile(self, project_dir: Path) -> dict[str, Any]:
        """``dbt compile`` on an empty in-memory DuckDB: dbt's own (sandboxed) Jinja renders
        every model, with the project's macros, so governance judges the SQL dbt will run."""
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        from dbt.cli.main import dbtRunner

        with tempfile.TemporaryDirectory(prefix="floe-parse-") as tmp:
            work = Path(tmp)
            (work / "profiles.yml").write_text(PARSE_PROFILE, encoding="utf-8")
            result = dbtRunner().invoke(
                [
                    "--quiet",
                    "--log-format",
                    "json",
                    "--no-use-colors",
                    "compile",
                    "--project-dir",
                    str(project_dir.resolve()),
                    "--profiles-dir",
                    str(work),
                    "--profile",
                    "floe_parse",
                    "--target-path",
                    str(work / "target"),
                    "--log-path",
                    str(work / "logs"),
                    "--no-partial-parse",
                    "--threads",
                    "1",
                ]
            )
            manifest_file = work / "target" / "manifest.json"
            if not result.success or not manifest_file.is_file():
                reason = str(result.exception) if result.exception else _log_errors(work / "logs")
                raise ResolveError(
                    f"dbt could not compile the project in '{project_dir.name}': "
                    f"{_strip_paths(reason, work, project_dir)}",
                    hint="fix the dbt project (run 'dbt compile' in it for details)",
                )
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
            shutil.rmtree(work / "target", ignore_errors=True)
            return manifest  # type: ignore[no-any-return]

    def health_check(self) -> HealthStatus:
        from importlib.metadata import version

        return HealthStatus(healthy=True, detail=f"dbt-core {version('dbt-core')}")


def _log_errors(log_dir: Path) -> str:
    log = log_dir / "dbt.log"
    if not log.is_file():
        return "unknown error"
    errors = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("info", {}).get("level") == "error":
            errors.append(event["info"].get("msg", ""))
    return " | ".join(errors[-3:]) or "unknown error"


def _strip_paths(text: str, work: Path, project_dir: Path) -> str:
    """Users must not see our temporary folders or absolute paths."""
    return text.replace(str(work), "<parse>").replace(str(project_dir.resolve()) + "/", "")
