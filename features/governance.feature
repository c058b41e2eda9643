@US-6
Feature: Governance & Security
  As a platform operator, I verify that secrets are managed as secrets and that security
  scanning of the platform's code passes. On the local target the scans and the secret checks
  run for real; NetworkPolicies and Polaris RBAC need the chart on Kubernetes.

  @FR-063
  Scenario: Bandit finds no high or medium issue in floe's code, and the dependency audit says what it could check
    When floe security scan runs on the floe package and the pinned dependencies
    Then Bandit scanned at least 80 files of floe and found 0 high and 0 medium issues
    And the dependency audit reports one of "audited, partially audited, not audited" and never a pass for a package it skipped
    And the command exits with code 0

  @FR-065
  Scenario: Every password, key, token and secret field of floe's models is a SecretStr or a secret reference
    Given every pydantic model in the floe package and in the installed plugins
    When their fields are inspected
    Then each field named like a password, secret, token, credential or key is typed SecretStr or SecretRef
    And the models holding such fields include "IcebergRestConfig, S3Config, OAuth2Config"

  @FR-065
  Scenario: The platform's secret values appear in no log, artifact or generated file
    Given a running platform
    And the pipeline of "customer-360" has run through Dagster
    Then the platform's secrets file is readable by its owner only
    And none of the platform's 7 secret values appears in its logs, its run logs or the compiled output
    And the compiled profiles.yml of "customer-360" names each secret by reference only

  Scenario: A product compiled against a manifest of its own is refused by the platform, as a security event
    Given a running platform
    And a copy of "customer-360" named "customer-360-lax", compiled against a manifest of its own that lifts the model naming rule
    When floe run launches "customer-360-lax" on the platform with JSON logs
    Then the command exits with code 3
    And the error output says "was compiled against a manifest"
    And no Dagster run was started
    And the log holds the security event "security.artifact_refused" for "customer-360-lax" with both manifest digests
    And its code location refuses to load for the same reason

  @FR-067
  Scenario: An unknown principal and a refused one are logged as structured security events, with no secret in the log
    Given a running platform
    And the pipeline of "customer-360" has run through Dagster
    When floe table list "customer_360" runs as "mallory" with JSON logs
    Then the command exits with code 3
    And the error output says "'mallory' is not a principal of the platform's manifest"
    And the log holds the security event "security.auth_failure" naming the principal "mallory" and the reason "not a principal of the platform's manifest"
    And the log holds none of the platform's secret values
    When floe table list "customer_360" runs as "auditor" with JSON logs
    Then the command exits with code 3
    And the error output says "the catalog refused 'auditor' LIST_TABLES on 'customer_360' (HTTP 403)"
    And the log holds the security event "security.access_denied" naming the principal "auditor", the action "LIST_TABLES", the resource "customer_360" and the status 403
    And the log holds none of the platform's secret values

  @FR-062 @TQR-024
  Scenario: The catalog enforces the manifest's RBAC: no TABLE_READ_DATA means 403, and a writer writes only its own namespace
    Given a running platform
    And the pipeline of "customer-360" has run through Dagster
    And the pipeline of "iot-telemetry" has run through Dagster
    When the principal "auditor", who holds no privilege, lists the tables of "customer_360" through pyiceberg
    Then the catalog refuses with HTTP 403 Forbidden
    And loading "customer_360.gold_customer_360" as "auditor" finds no such table
    And the principal "analyst", whose role holds TABLE_READ_DATA on the catalog, reads all 200 rows of "customer_360.gold_customer_360"
    And the principal "analyst" cannot append a row to "customer_360.gold_segments", which keeps its snapshot
    And the principal "customer_360_engineer" creates and appends to a table in "customer_360"
    And the principal "customer_360_engineer" cannot append a row to "iot_telemetry.gold_sensor_anomalies", which keeps its snapshot

  Scenario: A product whose model writes into another product's namespace is refused when it is compiled
    Given a copy of "customer-360" whose model "gold_segments" asks for the schema "iot_telemetry", with a generate_schema_name macro that returns it as is
    When floe compile runs on the copy
    Then the command exits with code 3
    And the error output says "model 'gold_segments' (models/gold/gold_segments.sql) asks for schema 'iot_telemetry', but product 'customer-360' owns only 'customer_360'"
