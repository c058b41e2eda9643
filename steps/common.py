"""Shared step vocabulary: running commands and checking what they printed.

A command's outcome is passed between steps as the ``command`` fixture (a ``CommandResult``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_bdd import parsers, then

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
PLAIN_DBT = ROOT / "examples" / "plain-dbt-project"
PLAIN_PRODUCT = "corner-shop"
PRODUCTS = ("customer-360", "iot-telemetry", "financial-risk")
# What a leaked traceback or internal path looks like.
LEAK_RE = re.compile(r"Traceback \(most recent call last\)|File \"/|site-packages|/floe/[a-z_]+/")


@dataclass(frozen=True)
class CommandResult:
    args: list[str]
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def command() -> CommandResult:
    raise pytest.UsageError("a 'When' step must run a command before its outcome is checked")


## Then


@then(parsers.parse("the command exits with code {code:d}"))
def exit_code_is(command: CommandResult, code: int) -> None:
    """The exit code, with the output shown when it differs."""
    assert command.exit_code == code, (
        f"'{' '.join(command.args)}' exited {command.exit_code}, expected {code}:\n{command.output}"
    )


@then(parsers.parse('the error output says "{text}"'))
def error_says(command: CommandResult, text: str) -> None:
    """Error text is part of the contract with users."""
    assert text in command.stderr, f"{text!r} not in stderr:\n{command.stderr}"


@then("the error output holds no stack trace and no internal path")
def no_leak(command: CommandResult) -> None:
    """FR-066: users never see tracebacks or where floe is installed."""
    leaks = LEAK_RE.findall(command.output)
    assert leaks == [], f"leaked {leaks} in:\n{command.output}"
    errors = [line for line in command.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, command.stderr
