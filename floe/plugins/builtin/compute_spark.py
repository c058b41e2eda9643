"""Apache Spark as the compute engine: dbt-spark's ``session`` method on a local Spark, writing
Iceberg tables through the same REST catalog and the same S3 bucket as DuckDB.

It is how a product outgrows one machine: the same floe.yaml with ``compute: spark``. Locally the
session runs in the dbt process (``local[N]``); pointed at a cluster master it runs there. The
Iceberg Spark runtime (with the AWS SDK v2) is the jar inside the ``sagemaker-feature-store-
pyspark`` wheel, every class renamed under ``smfs.shaded.``; nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from floe.plugins.base import CatalogPlugin, ComputePlugin, HealthStatus, StoragePlugin
from floe.spec.secrets import dbt_env_var
from floe.typedef import FloeModel

CATALOG_ALIAS = "lake"
SHADED = "smfs.shaded.org.apache.iceberg"
JAR_PACKAGE = "feature_store_pyspark"
JAR_NAME = "sagemaker-feature-store-spark-sdk-3.5.jar"
JARS_ENV = "FLOE_SPARK_JARS"


class SparkConfig(FloeModel):
    master: str = Field(default="local[2]", description="Spark master URL.")
    driver_memory: str = Field(default="2g", description="spark.driver.memory.")
    threads: int = Field(default=1, ge=1, description="dbt threads (models built at once).")
    shuffle_partitions: int = Field(
        default=4, ge=1, description="spark.sql.shuffle.partitions; small tables want few."
    )


def iceberg_jar() -> Path | None:
    """The Iceberg runtime jar in the installed wheel, if it is installed."""
    spec = importlib.util.find_spec(JAR_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    jar = Path(next(iter(spec.submodule_search_locations))) / "jars" / JAR_NAME
    return jar if jar.is_file() else None


class SparkComputePlugin(ComputePlugin[SparkConfig]):
    name = "spark"
    config_model = SparkConfig
    dbt_adapter = "spark"
    requires: ClassVar[Mapping[str, str]] = {
        "dbt-spark": ">=1.11,<1.12",
        "pyspark": ">=3.5,<3.6",
        "sagemaker-feature-store-pyspark": "==2.2.2",
    }
    compatible_with: ClassVar[Mapping[str, frozenset[str]]] = {
        "catalog": frozenset({"iceberg-rest"}),
        "dbt": frozenset({"dbt-core"}),
    }
    built_as: ClassVar[Mapping[str, str]] = {"view": "table"}
    unsupported: ClassVar[Mapping[str, str]] = {
        "materialized_view": "use materialized='table'",
        "snapshot": "floe does not run dbt snapshots on Spark yet; keep history with an "
        "incremental model",
    }

    def dbt_macros(self) -> Path:
        return Path(__file__).parent / "dbt_macros" / "spark"

    def dbt_project_config(self) -> dict[str, Any]:
        return {
            "models": {"+file_format": "iceberg", "+on_schema_change": "append_new_columns"},
            "seeds": {"+file_format": "iceberg"},
        }

    def run_env(self) -> dict[str, str]:
        jar = iceberg_jar()
        # Spark binds its driver to this address; the platform listens on loopback only.
        env = {"SPARK_LOCAL_IP": "127.0.0.1"}
        if jar is not None:
            env[JARS_ENV] = str(jar)
        return env

    def dbt_output(
        self, *, catalog: CatalogPlugin[Any], storage: StoragePlugin[Any], namespace: str
    ) -> dict[str, Any]:
        cat = catalog.config
        sto = storage.config
        uri = dbt_env_var("FLOE_CATALOG_URI", cat.uri)
        prefix = f"spark.sql.catalog.{CATALOG_ALIAS}"
        credential = f"{cat.client_id.dbt_env_var()}:{cat.client_secret.dbt_env_var()}"
        params = {
            "spark.master": self.config.master,
            "spark.driver.memory": self.config.driver_memory,
            "spark.ui.enabled": "false",
            # The progress bar shares dbt's stdout and would break its JSON event lines.
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.sql.shuffle.partitions": str(self.config.shuffle_partitions),
            # The same tables as DuckDB writes: timestamps without a zone, read as UTC.
            "spark.sql.timestampType": "TIMESTAMP_NTZ",
            "spark.sql.session.timeZone": "UTC",
            # dbt-spark asks for Hive support; an in-memory catalog avoids Derby's metastore_db.
            "spark.sql.catalogImplementation": "in-memory",
            "spark.jars": dbt_env_var(JARS_ENV),
            "spark.sql.extensions": f"{SHADED}.spark.extensions.IcebergSparkSessionExtensions",
            # dbt-spark writes two-part names (schema.table): they land in this catalog.
            "spark.sql.defaultCatalog": CATALOG_ALIAS,
            prefix: f"{SHADED}.spark.SparkCatalog",
            f"{prefix}.type": "rest",
            f"{prefix}.uri": uri,
            f"{prefix}.warehouse": dbt_env_var("FLOE_WAREHOUSE", cat.warehouse),
            f"{prefix}.rest.auth.type": "oauth2",
            f"{prefix}.credential": credential,
            f"{prefix}.oauth2-server-uri": uri + "/v1/oauth/tokens",
            f"{prefix}.scope": cat.scope,
            f"{prefix}.io-impl": f"{SHADED}.aws.s3.S3FileIO",
            f"{prefix}.s3.endpoint": dbt_env_var("FLOE_S3_ENDPOINT", sto.endpoint),
            f"{prefix}.s3.path-style-access": "true" if sto.path_style else "false",
            f"{prefix}.s3.access-key-id": sto.access_key_id.dbt_env_var(),
            f"{prefix}.s3.secret-access-key": sto.secret_access_key.dbt_env_var(),
            f"{prefix}.client.region": sto.region,
        }
        return {
            "type": "spark",
            "method": "session",
            "host": "NA",
            "schema": namespace,
            "threads": self.config.threads,
            "server_side_parameters": params,
        }

    def sql_error(self, sql: str) -> str | None:
        import sqlglot
        from sqlglot.errors import ParseError

        # The compiler renders SQL with DuckDB's quoting ("schema"."table"); in Spark SQL an
        # identifier is quoted with backticks.
        try:
            sqlglot.parse(re.sub(r'"([^"]*)"', r"`\1`", sql), read="spark")
        except ParseError as exc:
            return str(exc).splitlines()[0]
        return None

    def health_check(self) -> HealthStatus:
        missing = [
            what
            for what, ok in (
                ("pyspark", importlib.util.find_spec("pyspark") is not None),
                ("dbt-spark", importlib.util.find_spec("dbt.adapters.spark") is not None),
                (f"the Iceberg runtime jar ({JAR_NAME})", iceberg_jar() is not None),
                ("java", shutil.which("java") is not None),
            )
            if not ok
        ]
        if missing:
            return HealthStatus(
                healthy=False, detail=f"missing: {', '.join(missing)} (run 'make setup')"
            )
        from importlib.metadata import version

        return HealthStatus(healthy=True, detail=f"pyspark {version('pyspark')}, Iceberg jar found")
