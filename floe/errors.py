"""Every exception floe raises. Messages are written for the person who has to fix things."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the CLI, stable so scripts can branch on them."""

    OK = 0
    USER_ERROR = 1
    VALIDATION = 2
    GOVERNANCE = 3
    PLATFORM = 4
    PIPELINE = 5
    INTERNAL = 70


class FloeError(Exception):
    """Base of every error floe raises on purpose."""

    exit_code: ExitCode = ExitCode.USER_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  Fix: {self.hint}"


class SpecLoadError(FloeError):
    """A floe.yaml or manifest.yaml could not be read or is not a YAML mapping."""

    exit_code = ExitCode.VALIDATION


class SpecValidationError(FloeError):
    """A YAML file parsed but its content breaks the schema; carries one line per problem."""

    exit_code = ExitCode.VALIDATION

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{file} is not valid ({len(problems)} problem(s)):\n{body}")


class ResolveError(FloeError):
    """floe.yaml asks for something the manifest does not allow, or the dbt project is broken."""

    exit_code = ExitCode.VALIDATION


class GovernanceError(FloeError):
    """The ENFORCE stage refused the product; every violation is listed."""

    exit_code = ExitCode.GOVERNANCE

    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        body = "\n".join(f"  - {v}" for v in violations)
        super().__init__(f"governance check failed ({len(violations)} violation(s)):\n{body}")


class PluginNotFoundError(FloeError):
    """No installed plugin of that kind carries that name."""


class PluginComplianceError(FloeError):
    """A plugin class does not implement its ABC."""


class ArtifactVersionError(FloeError):
    """A compiled artifact was written by an incompatible floe."""


class PlatformError(FloeError):
    """A platform service could not be started, reached or stopped."""

    exit_code = ExitCode.PLATFORM


class ServiceStartError(PlatformError):
    """A service process exited or never became healthy."""


class PipelineError(FloeError):
    """A pipeline run failed; the message names the failed steps."""

    exit_code = ExitCode.PIPELINE


class AccessDeniedError(FloeError):
    """The catalog refused a principal an action on a table or namespace (HTTP 403)."""

    exit_code = ExitCode.GOVERNANCE


class TableNotFoundError(FloeError):
    """No such table or namespace in the catalog (or the principal may not see it)."""


class PromotionError(FloeError):
    """A promotion request names a product, version, environment or request that is not there,
    or asks for a step the promotion rules do not allow."""


class PromotionBlockedError(FloeError):
    """A promotion gate failed or could not be reached: nothing was promoted."""

    exit_code = ExitCode.GOVERNANCE
