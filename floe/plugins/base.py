"""The 15 plugin ABCs. Each kind has one entry-point group, ``floe.<kind>``.

A plugin class declares ``name`` (its entry-point name), ``version`` and ``config_model`` (a
frozen pydantic model; secrets are ``SecretRef``s in YAML and ``SecretStr`` once resolved), and
implements the abstract methods of its kind plus ``health_check``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from floe.typedef import FloeModel

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


class EmptyConfig(FloeModel):
    """For plugins that take no settings."""


class HealthStatus(FloeModel):
    """The answer of a health check; ``detail`` says what was tried."""

    healthy: bool
    detail: str = ""


C = TypeVar("C", bound=BaseModel)


class Plugin(ABC, Generic[C]):
    """Common part of every plugin."""

    kind: ClassVar[str]
    name: ClassVar[str]
    version: ClassVar[str] = "0.1.0"
    config_model: ClassVar[type[BaseModel]] = EmptyConfig
    requires: ClassVar[Mapping[str, str]] = {}
    """Distributions it needs and their version ranges, e.g. ``{"dbt-core": ">=1.11,<1.12"}``;
    the compiler refuses a product whose environment does not satisfy them."""
    example_config: ClassVar[Mapping[str, Any]] = {}
    """A valid ``config:`` block, as manifest.yaml would hold it (secrets as {env: VAR}):
    printed by 'floe plugins show' and instantiated by the compliance suite."""
    compatible_with: ClassVar[Mapping[str, frozenset[str]]] = {}
    """Per other plugin kind, the implementations it works with (absent kind: any), e.g. a
    catalog only DuckDB and Spark can write: ``{"compute": frozenset({"duckdb", "spark"})}``."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config: C = self.config_model.model_validate(dict(config or {}))  # type: ignore[assignment]

    @abstractmethod
    def health_check(self) -> HealthStatus:
        """Report whether the backing service or library is usable right now."""


class CatalogPlugin(Plugin[C]):
    """An Iceberg catalog."""

    kind = "catalog"

    @abstractmethod
    def connection_properties(self) -> dict[str, str]:
        """Properties for ``pyiceberg.catalog.load_catalog`` (secrets included: do not log)."""

    @abstractmethod
    def warehouse(self) -> str:
        """The warehouse (or table bucket) tables are written to."""


class ComputePlugin(Plugin[C]):
    """The engine dbt runs SQL on."""

    kind = "compute"
    dbt_adapter: ClassVar[str]
    """The dbt adapter (``type:`` in profiles.yml) this engine runs through."""
    built_as: ClassVar[Mapping[str, str]] = {}
    """dbt materializations the engine cannot build on Iceberg, and what it builds instead
    (e.g. ``{"view": "table"}``); the compiler reports each substituted model."""
    unsupported: ClassVar[Mapping[str, str]] = {}
    """dbt materializations the engine refuses, with the fix the compiler prints."""
    partition_by_strategies: ClassVar[frozenset[str] | None] = None
    """Incremental strategies under which a model may set ``partition_by``, for an engine that
    cannot rewrite a table whose files span partition specs; None: any model may."""

    def dbt_macros(self) -> Path | None:
        """Folder of dbt macros (e.g. materializations) the engine needs in every project."""
        return None

    def dbt_project_config(self) -> dict[str, Any]:
        """Project-wide dbt configs the engine needs (e.g. ``{"models": {"+file_format":
        "iceberg"}}``); a product's own setting of the same key wins."""
        return {}

    def run_env(self) -> dict[str, str]:
        """Environment the dbt process needs for this engine (machine-specific values that
        must stay out of the deterministic artifact and profile)."""
        return {}

    @abstractmethod
    def dbt_output(
        self, *, catalog: CatalogPlugin[Any], storage: StoragePlugin[Any], namespace: str
    ) -> dict[str, Any]:
        """The dbt ``profiles.yml`` output block for this engine; secrets as env_var() calls."""

    @abstractmethod
    def sql_error(self, sql: str) -> str | None:
        """None if ``sql`` parses for this engine, else the parser's message."""


class DBTPlugin(Plugin[C]):
    """Parses a dbt project and runs dbt commands."""

    kind = "dbt"

    @abstractmethod
    def run_project(
        self,
        project_dir: Path,
        run_dir: Path,
        macro_dirs: Mapping[str, Path],
        project_config: Mapping[str, Any],
    ) -> None:
        """Lay out in ``run_dir`` the dbt project floe runs: the product's own, unchanged,
        plus the compute engine's macros (``macro_dirs``: name -> folder of .sql files) and
        project-wide configs (``project_config``, under the product's own)."""

    @abstractmethod
    def parse_project(self, project_dir: Path) -> dict[str, Any]:
        """Return dbt's manifest for the project, compiled by dbt itself (``compiled_code``
        filled in), so SQL is judged as dbt renders it."""


class OrchestratorPlugin(Plugin[C]):
    """Generates and hosts the code that schedules pipelines."""

    kind = "orchestrator"

    @abstractmethod
    def render_definitions(self, product: str, artifact_file: str) -> str:
        """Source of ``product``'s code location; it loads ``artifact_file`` beside it."""

    @abstractmethod
    def render_workspace(self, locations: Mapping[str, str]) -> str:
        """Workspace file listing code locations (name -> definitions file)."""


class StoragePlugin(Plugin[C]):
    """Object storage that holds table data files."""

    kind = "storage"

    @abstractmethod
    def s3_properties(self) -> dict[str, str]:
        """FileIO properties (endpoint, region, credentials) for readers and writers."""


class SecretsPlugin(Plugin[C]):
    """Resolves secret references to values at run time."""

    kind = "secrets"

    @abstractmethod
    def resolve(self, ref: str) -> str:
        """Return the secret value for ``ref``; raise a FloeError naming the ref if absent."""


class QualityPlugin(Plugin[C]):
    """Runs data-quality checks on tables after a pipeline."""

    kind = "quality"

    @abstractmethod
    def validate_rows(self, rows: Any, checks: Sequence[Any]) -> list[dict[str, Any]]:
        """Run ``checks`` on a table (pyarrow) and return one result dict per check."""

    def preload(self) -> None:
        """Import what ``validate_rows`` needs. Runs on a background thread once a run's dbt
        process is running, so a slow import overlaps the dbt build instead of following it."""


class LineagePlugin(Plugin[C]):
    """Emits OpenLineage events."""

    kind = "lineage"

    @abstractmethod
    def emit(self, event: Any) -> None:
        """Send one OpenLineage ``RunEvent`` (openlineage-python); must never raise into the
        pipeline."""


class TelemetryPlugin(Plugin[C]):
    """Sets up traces, metrics and logs export."""

    kind = "telemetry"

    @abstractmethod
    def configure(self, service_name: str) -> None:
        """Install exporters for ``service_name``; must not fail if the collector is down."""

    @abstractmethod
    def record_metrics(self, group: Mapping[str, str], values: Mapping[str, float]) -> None:
        """Publish one run's metrics (gauges named in ``values``, labelled by ``group``); must
        never raise into the pipeline."""


class IdentityPlugin(Plugin[C]):
    """Authenticates principals against an identity provider."""

    kind = "identity"

    @abstractmethod
    def token(self) -> str:
        """Return a bearer token for the configured principal."""


class RBACPlugin(Plugin[C]):
    """Decides whether a principal may act on a resource."""

    kind = "rbac"

    @abstractmethod
    def is_allowed(self, principal: str, action: str, resource: str) -> bool:
        """True if ``principal`` may perform ``action`` on ``resource``."""


class NetworkSecurityPlugin(Plugin[C]):
    """Produces network policies for the platform's services."""

    kind = "network_security"

    @abstractmethod
    def policies(self, services: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        """Policies allowing only the declared service -> dependency flows."""


class IngestionPlugin(Plugin[C]):
    """Loads data from outside sources into bronze tables (ABC only so far)."""

    kind = "ingestion"

    @abstractmethod
    def ingest(self, source: str, table: str) -> int:
        """Copy ``source`` into ``table``; return rows written."""


class SemanticLayerPlugin(Plugin[C]):
    """Serves metrics defined over gold tables (ABC only so far)."""

    kind = "semantic_layer"

    @abstractmethod
    def metrics(self) -> list[str]:
        """Names of the metrics it serves."""


class PluginLoader(ABC):
    """The registry: finds plugin classes by kind and name."""

    @abstractmethod
    def available(self, kind: str) -> list[str]:
        """Names of installed plugins of ``kind``, sorted."""

    @abstractmethod
    def get(self, kind: str, name: str) -> type[Plugin[Any]]:
        """The plugin class; raise PluginNotFoundError listing what is installed."""

    def create(self, kind: str, name: str, config: Mapping[str, Any] | None = None) -> Plugin[Any]:
        """Instantiate a plugin with its validated config."""
        return self.get(kind, name)(config)


PLUGIN_KINDS: dict[str, type[Plugin[Any]]] = {
    cls.kind: cls
    for cls in (
        CatalogPlugin,
        ComputePlugin,
        DBTPlugin,
        IdentityPlugin,
        IngestionPlugin,
        LineagePlugin,
        NetworkSecurityPlugin,
        OrchestratorPlugin,
        QualityPlugin,
        RBACPlugin,
        SecretsPlugin,
        SemanticLayerPlugin,
        StoragePlugin,
        TelemetryPlugin,
    )
}
"""Kind -> ABC. With PluginLoader these are the 15 ABCs."""

ENTRY_POINT_PREFIX = "floe."


def group_for(kind: str) -> str:
    return f"{ENTRY_POINT_PREFIX}{kind}"
