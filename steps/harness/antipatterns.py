"""Lint for the spec's forbidden test patterns (TQR-010..014). ``make test`` runs it.

Python files are checked on their syntax tree (so a pattern inside a string is not flagged) and
their comments; feature files on their tags and text.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

SKIP_CALLS = {"skip", "xfail", "skipif", "importorskip"}
TODO_RE = re.compile(r"\b(TODO|FIXME|XXX)\b")
ICEBERG_WORDS = re.compile(r"iceberg|catalog|lakehouse", re.I)
STEP_DECORATORS = {"given", "when", "then", "step"}
DRY_RUN_FLAG = "--dry" + "-run"  # split so this file does not flag itself


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.message}"


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _existence_only(test: ast.expr) -> str | None:
    if isinstance(test, ast.Constant) and test.value is True:
        return "'assert True' checks nothing"
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right, left = test.ops[0], test.comparators[0], test.left
        if isinstance(op, ast.IsNot) and _is_none(right):
            return "'assert x is not None' alone checks existence, not a value"
        is_len = isinstance(left, ast.Call) and getattr(left.func, "id", "") == "len"
        if (
            is_len
            and isinstance(right, ast.Constant)
            and (
                (isinstance(op, ast.Gt) and right.value == 0)
                or (isinstance(op, ast.GtE) and right.value == 1)
                or (isinstance(op, ast.NotEq) and right.value == 0)
            )
        ):
            return "'assert len(x) > 0' alone checks existence; assert the expected items or count"
    if isinstance(test, ast.Attribute) and test.attr == "success":
        return "'assert result.success' alone does not say what succeeded"
    if isinstance(test, ast.Call) and getattr(test.func, "attr", "") == "exists":
        return "'assert path.exists()' alone checks existence; assert the content"
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _step_texts(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    texts = []
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Call) and _call_name(deco) in STEP_DECORATORS:
            for arg in ast.walk(deco):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    texts.append(arg.value)
    return texts


def check_python(path: Path, source: str) -> list[Violation]:
    found: list[Violation] = []
    rel = str(path)
    tree = ast.parse(source, filename=rel)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "dry_run"
            and isinstance(node.value, ast.Constant)
            and node.value.value is True
        ):
            found.append(
                Violation(
                    rel,
                    node.value.lineno,
                    "TQR-010",
                    "dry_run=True tests nothing; run the real action",
                )
            )
        if isinstance(node, ast.Constant) and node.value == DRY_RUN_FLAG:
            found.append(
                Violation(
                    rel, node.lineno, "TQR-010", "'--dry-run' tests nothing; run the real action"
                )
            )
        if isinstance(node, ast.Assert):
            why = _existence_only(node.test)
            if why:
                found.append(Violation(rel, node.lineno, "TQR-011", why))
        if isinstance(node, ast.Attribute) and node.attr in SKIP_CALLS:
            base = node.value
            names = {getattr(base, "id", ""), getattr(base, "attr", "")}
            if names & {"pytest", "mark"}:
                found.append(
                    Violation(
                        rel,
                        node.lineno,
                        "TQR-013",
                        f"{node.attr} is forbidden: a test must fail when its "
                        "platform part is missing",
                    )
                )
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            texts = _step_texts(node)
            if any(ICEBERG_WORDS.search(t) for t in texts):
                body = ast.get_source_segment(source, node) or ""
                if re.search(r"\bduckdb\b", body):
                    found.append(
                        Violation(
                            rel,
                            node.lineno,
                            "TQR-014",
                            "a step about Iceberg/the catalog reads through DuckDB;"
                            " read it through the catalog (pyiceberg)",
                        )
                    )
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and TODO_RE.search(tok.string):
            found.append(
                Violation(
                    rel,
                    tok.start[0],
                    "TQR-012",
                    "TODO/FIXME left in test code; finish it or remove the test",
                )
            )
    return found


def check_feature(path: Path, text: str) -> list[Violation]:
    found = []
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        tags = {t.lstrip("@").lower() for t in stripped.split() if t.startswith("@")}
        if tags & {"skip", "xfail", "wip", "ignore"}:
            found.append(Violation(str(path), no, "TQR-013", "skip-like tag on a scenario"))
        if TODO_RE.search(stripped):
            found.append(Violation(str(path), no, "TQR-012", "TODO/FIXME in a feature file"))
        if "dry run" in stripped.lower() or "dry_run" in stripped.lower():
            found.append(Violation(str(path), no, "TQR-010", "a scenario must not be a dry run"))
    return found


def lint(paths: list[Path]) -> list[Violation]:
    found: list[Violation] = []
    files: list[Path] = []
    for p in paths:
        files += sorted(p.rglob("*")) if p.is_dir() else [p]
    for f in files:
        if f.suffix == ".py":
            found += check_python(f, f.read_text(encoding="utf-8"))
        elif f.suffix == ".feature":
            found += check_feature(f, f.read_text(encoding="utf-8"))
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [
        Path("features"),
        Path("steps"),
        Path("tests"),
        Path("conftest.py"),
    ]
    violations = lint([p for p in paths if p.exists()])
    for v in violations:
        print(v)
    print(f"anti-pattern lint: {len(violations)} violation(s) in {', '.join(map(str, paths))}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
