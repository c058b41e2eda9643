@US-2
Feature: Compilation & Artifact Generation
  As a data engineer, I write a floe.yaml configuration and compile it into CompiledArtifacts
  that drive all downstream platform behavior, through the six stages
  LOAD -> VALIDATE -> RESOLVE -> ENFORCE -> COMPILE -> GENERATE.

  @FR-010 @FR-013 @SC-002 @TQR-004 @TQR-020 @FR-080 @FR-081 @FR-082 @FR-084
  Scenario Outline: A valid floe.yaml with dbt models is compiled into CompiledArtifacts matching schema v0.5.0
    Given the demo data product "<product>"
    When floe compile runs on it
    Then the command exits with code 0
    And the artifact has version "0.5.0" and validates against the artifact JSON Schema
    And the artifact lists the models <models>
    And each layer holds <bronze> bronze, <silver> silver and <gold> gold models
    And every model's upstream nodes match its refs in the dbt project
    And every model carries at least one dbt test
    And the generated profiles.yml targets "duckdb" with the Iceberg REST catalog attached as "lake" and namespace "<namespace>"

    Examples:
      | product        | namespace      | models                                                                                                      | bronze | silver | gold |
      | customer-360   | customer_360   | bronze_customers, bronze_transactions, gold_customer_360, gold_segments, silver_customers, silver_transactions | 2      | 2      | 2    |
      | iot-telemetry  | iot_telemetry  | bronze_readings, bronze_sensors, gold_maintenance_alerts, gold_sensor_anomalies, silver_readings               | 2      | 1      | 2    |
      | financial-risk | financial_risk | bronze_counterparties, bronze_positions, gold_regulatory_report, gold_risk_scores, silver_positions            | 2      | 1      | 2    |

  @FR-014 @FR-086
  Scenario: Compiled artifacts are loaded by floe-dagster into assets and resources without errors
    Given the three demo data products compiled into one output folder
    When Dagster validates the generated workspace.yaml
    Then the command exits with code 0
    And workspace.yaml lists the code locations "customer-360, financial-risk, iot-telemetry", each a python_file
    And the code location of "customer-360" defines the assets of its 6 models and 2 seeds in the group "customer_360", each tagged with its layer
    And the code location of "customer-360" has the job "customer_360_pipeline" on the schedule "*/10 * * * *" in "Europe/London"
    And the code location of "customer-360" has a dbt resource using profile "floe_customer_360"

  @FR-015 @FR-066 @TQR-020
  Scenario Outline: An invalid floe.yaml (missing required fields) is rejected with a descriptive ValidationError
    Given a copy of the demo data product "customer-360" whose floe.yaml <change>
    When the compiler API compiles it
    Then a pydantic ValidationError is raised naming "<field>"
    When floe compile runs on it
    Then the command exits with code 2
    And the error output names the file "floe.yaml" and the field "<field>"
    And the error output says "<fix>"
    And the error output holds no stack trace and no internal path

    Examples:
      | change                              | field                 | fix                                     |
      | has no metadata.name                | metadata.name         | required field is missing. Fix: add 'name' |
      | has metadata.version set to 42      | metadata.version      | should be a valid string                |
      | has schedule.cron set to "every day" | schedule.cron        | five-field cron expression              |
      | has a catalog section               | catalog               | owned by the platform team              |

  @FR-012
  Scenario: Platform defaults from manifest.yaml are merged with the data engineer's overrides
    Given the demo data product "customer-360"
    When floe compile runs on it
    Then the command exits with code 0
    And the artifact's schedule is "*/10 * * * *" in "Europe/London", taken from floe.yaml
    And the artifact's compute plugin is "duckdb" with threads 2 and memory_limit "2GB", taken from manifest.yaml
    And the artifact's catalog plugin is "iceberg-rest" at "http://127.0.0.1:8181" with warehouse "warehouse"
    And the artifact's governance requires model tests and keeps data at most 1 hours
    And the artifact's gold model "gold_customer_360" carries 2 quality checks from floe.yaml

  @FR-012
  Scenario: A product may only tighten governance, never loosen it
    Given a copy of the demo data product "customer-360" whose floe.yaml has governance.max_retention_hours set to 24
    When floe compile runs on it
    Then the command exits with code 2
    And the error output says "governance.max_retention_hours=24 is longer than the platform's 1"

  @FR-011 @TQR-020
  Scenario: The six compilation stages run in order, each visible as a structured log event
    Given the demo data product "iot-telemetry"
    When floe compile runs on it with JSON logs
    Then the command exits with code 0
    And the log holds the stage events LOAD, VALIDATE, RESOLVE, ENFORCE, COMPILE, GENERATE in that order, each ok

  @FR-016 @TQR-020
  Scenario: The same input gives the same bytes
    Given the demo data product "financial-risk"
    When floe compile runs on it twice into two output folders
    Then every generated file is byte-identical between the two runs
    And the artifact holds no timestamp and no absolute path

  @FR-017
  Scenario: The JSON Schema of floe.yaml is exported for IDE autocomplete
    When floe schema export writes the floe.yaml schema
    Then the command exits with code 0
    And the schema requires "apiVersion, kind, metadata" and describes "metadata.name"
    And every demo floe.yaml validates against the exported schema
    And a floe.yaml with an unknown top-level key fails the exported schema

  Scenario: A model whose SQL does not parse for the compute engine is caught before anything runs
    Given a copy of the demo data product "customer-360" whose model "gold_segments" has the SQL "select segment, count(* from gold"
    When floe compile runs on it
    Then the command exits with code 3
    And the error output says "model 'gold_segments' has SQL that does not parse for duckdb"
    And no artifact was written for "customer-360"

  @FR-054
  Scenario Outline: An unknown or unapproved compute plugin is rejected at compile time
    Given a copy of the demo data product "customer-360" whose floe.yaml selects compute "<engine>" and whose manifest approves "<approved>"
    When floe compile runs on it
    Then the command exits with code <code>
    And the error output says "<message>"
    And no artifact was written for "customer-360"

    Examples:
      | engine    | approved         | code | message                                                        |
      | snowflake | duckdb           | 3    | compute 'snowflake' is not approved by the platform (approved: duckdb) |
      | quantum   | duckdb, quantum  | 1    | no compute plugin named 'quantum' is installed                  |

  @FR-023
  Scenario: A malformed seed file is refused with a descriptive error before any pipeline starts
    Given a copy of the demo data product "iot-telemetry" whose seed "raw_sensors" has only 3 fields on line 12
    When floe compile runs on it
    Then the command exits with code 3
    And the error output says "seed 'raw_sensors' (seeds/raw_sensors.csv) line 12: expected 5 fields, found 3"
    And no artifact was written for "iot-telemetry"
