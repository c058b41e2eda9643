"""dbt-core: the project is parsed once, at compile time, by dbt's own parser.

The parse is cached under the content hash of the project's files, so recompiling an unchanged
project costs no dbt parse at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from floe.config import cache_dir
from floe.errors import ResolveError
from floe.plugins.base import DBTPlugin, EmptyConfig, HealthStatus

IGNORED_DIRS = {"target", "logs", "dbt_packages", "__pycache__", ".floe"}
# floe.yaml sits in the project folder but is not dbt's; it is hashed on its own.
IGNORED_FILES = {"floe.yaml"}
PARSE_PROFILE = """floe_parse:
  target: parse
  outputs:
    parse:
      type: duckdb
      path: ':memory:'
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
}


def project_hash(project_dir: Path) -> str:
    """sha256 over every file dbt reads: the project folder plus macro paths outside it."""
    digest = hashlib.sha256()
    for root in [project_dir, *_outside_macro_paths(project_dir)]:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or IGNORED_DIRS.intersection(rel.parts):
                continue
            if root == project_dir and rel.name in IGNORED_FILES:
                continue
            digest.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _outside_macro_paths(project_dir: Path) -> list[Path]:
    """macro-paths that point outside the project (e.g. a shared '../macros')."""
    try:
        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    paths = project.get("macro-paths", []) if isinstance(project, dict) else []
    found = []
    for p in paths:
        full = (project_dir / str(p)).resolve()
        if full.is_dir() and project_dir.resolve() not in full.parents:
            found.append(full)
    return found


def scrub(value: Any) -> Any:
    """Drop volatile keys recursively."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


class DbtCorePlugin(DBTPlugin[EmptyConfig]):
    name = "dbt-core"

    def parse_project(self, project_dir: Path) -> dict[str, Any]:
        from importlib.metadata import version

        # The key changes with the project, the dbt version and the way floe scrubs the result.
        key = hashlib.sha256(
            f"{project_hash(project_dir)}:{version('dbt-core')}:{sorted(VOLATILE_KEYS)}".encode()
        ).hexdigest()
        cached = cache_dir() / "dbt-parse" / f"{key}.json"
        if cached.is_file():
            return json.loads(cached.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        manifest: dict[str, Any] = scrub(self._run_parse(project_dir))
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
        tmp.replace(cached)
        return manifest

    def _run_parse(self, project_dir: Path) -> dict[str, Any]:
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
                    "parse",
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
                ]
            )
            manifest_file = work / "target" / "manifest.json"
            if not result.success or not manifest_file.is_file():
                reason = str(result.exception) if result.exception else _log_errors(work / "logs")
                reason = reason.replace(str(project_dir.resolve()) + "/", "")
                raise ResolveError(
                    f"dbt could not parse the project in '{project_dir.name}': "
                    f"{_strip_paths(reason, work)}",
                    hint="fix the dbt project (run 'dbt parse' in it for details)",
                )
            return json.loads(manifest_file.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

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


def _strip_paths(text: str, work: Path) -> str:
    """Users must not see our temporary folders."""
    return text.replace(str(work), "<parse>")
