"""DuckDB as the compute engine: dbt-duckdb writes through DuckDB's Iceberg REST attach."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from floe.plugins.base import CatalogPlugin, ComputePlugin, HealthStatus, StoragePlugin
from floe.spec.secrets import dbt_env_var
from floe.typedef import FloeModel

CATALOG_ALIAS = "lake"
EXTENSIONS = ("httpfs", "avro", "iceberg")


class DuckDBConfig(FloeModel):
    threads: int = Field(default=2, ge=1, description="dbt threads (and DuckDB threads).")
    memory_limit: str = Field(default="2GB", description="DuckDB memory_limit setting.")


class DuckDBComputePlugin(ComputePlugin[DuckDBConfig]):
    name = "duckdb"
    config_model = DuckDBConfig
    dbt_adapter = "duckdb"
    requires: ClassVar[Mapping[str, str]] = {"dbt-duckdb": ">=1.11,<1.12", "duckdb": ">=1.5,<1.6"}
    compatible_with: ClassVar[Mapping[str, frozenset[str]]] = {
        "catalog": frozenset({"iceberg-rest"}),
        "dbt": frozenset({"dbt-core"}),
    }
    # DuckDB's Iceberg attach holds tables only.
    built_as: ClassVar[Mapping[str, str]] = {"view": "table"}
    # DuckDB cannot delete from an Iceberg table once its files span partition specs ("Manifest
    # file contains entries without partition info even though there is a partition spec"), so a
    # partitioned model only ever appends.
    partition_by_strategies: ClassVar[frozenset[str] | None] = frozenset({"append"})
    unsupported: ClassVar[Mapping[str, str]] = {
        "materialized_view": "use materialized='table'",
        "snapshot": "floe does not run dbt snapshots on DuckDB's Iceberg attach; keep history "
        "with an incremental model",
    }

    def dbt_project_config(self) -> dict[str, Any]:
        # A model that selects a new column evolves its Iceberg table in place (dbt's incremental
        # models; floe's table macro does the same); drops and type changes are refused at
        # compile time.
        # A model's partition_by is applied to its table before each write (and after the
        # write that created it): new data lands under the new spec, older files keep theirs.
        hook = {"sql": "{{ floe_duckdb_partition_spec() }}", "transaction": False}
        return {
            "models": {
                "+on_schema_change": "append_new_columns",
                "+pre-hook": [hook],
                "+post-hook": [dict(hook)],
            }
        }

    def dbt_macros(self) -> Path:
        return Path(__file__).parent / "dbt_macros" / "duckdb"

    def dbt_output(
        self, *, catalog: CatalogPlugin[Any], storage: StoragePlugin[Any], namespace: str
    ) -> dict[str, Any]:
        cat = catalog.config
        sto = storage.config
        catalog_uri = dbt_env_var("FLOE_CATALOG_URI", cat.uri)
        # DuckDB wants host:port; the platform exports a URL for every client.
        s3_endpoint = dbt_env_var("FLOE_S3_ENDPOINT", sto.endpoint).replace(
            " }}", " | replace('http://', '') | replace('https://', '') }}"
        )
        return {
            "type": "duckdb",
            "path": dbt_env_var("FLOE_DUCKDB_PATH", ":memory:"),
            "threads": self.config.threads,
            "database": CATALOG_ALIAS,
            "schema": namespace,
            "settings": {"memory_limit": self.config.memory_limit},
            # Applied when the connection opens, before secrets load httpfs/iceberg: the
            # extensions come pre-installed from wheels, never downloaded.
            "config_options": {
                "extension_directory": dbt_env_var(
                    "FLOE_DUCKDB_EXTENSION_DIR", ".duckdb_extensions"
                ),
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": True,
            },
            "secrets": [
                {
                    "type": "s3",
                    "key_id": sto.access_key_id.dbt_env_var(),
                    "secret": sto.secret_access_key.dbt_env_var(),
                    "region": sto.region,
                    "endpoint": s3_endpoint,
                    "url_style": "path" if sto.path_style else "vhost",
                    "use_ssl": False,
                },
                {
                    "type": "iceberg",
                    "name": "floe_catalog",
                    "client_id": cat.client_id.dbt_env_var(),
                    "client_secret": cat.client_secret.dbt_env_var(),
                    "oauth2_server_uri": catalog_uri + "/v1/oauth/tokens",
                },
            ],
            "attach": [
                {
                    # Where the platform deploys the artifact decides (staging and prod
                    # write their own warehouse); the manifest's otherwise.
                    "path": dbt_env_var("FLOE_WAREHOUSE", cat.warehouse),
                    "alias": CATALOG_ALIAS,
                    "type": "iceberg",
                    "options": {"endpoint": catalog_uri, "secret": "floe_catalog"},
                }
            ],
        }

    def sql_error(self, sql: str) -> str | None:
        import duckdb

        try:
            duckdb.extract_statements(sql)
        except duckdb.Error as exc:
            return str(exc).splitlines()[0]
        return None

    def health_check(self) -> HealthStatus:
        import duckdb

        version = duckdb.sql("select version()").fetchone()
        return HealthStatus(healthy=True, detail=f"duckdb {version[0] if version else '?'}")
