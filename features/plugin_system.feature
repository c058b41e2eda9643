@US-5
Feature: Plugin System Validation
  As a plugin developer, I verify that all 15 plugin types are discoverable via entry points,
  comply with their ABCs, and can be swapped without code changes, and that a plugin I publish
  is picked up by pip install alone.

  @FR-050 @SC-006 @TQR-025
  Scenario: All 15 plugin ABCs are defined and 12 kinds have registered implementations
    Given the plugin registry of this environment
    When every entry point of every plugin group is loaded
    Then 15 plugin ABCs are defined: the registry and 14 plugin kinds
    And the kinds "catalog, compute, dbt, identity, lineage, network_security, orchestrator, quality, rbac, secrets, storage, telemetry" each have at least one implementation
    And the kinds "ingestion, semantic_layer" are ABCs only
    And floe plugins list names each built-in implementation with the distribution "floe"

  @FR-051 @FR-056 @TQR-025
  Scenario: Every implementation implements its ABC, and its methods are callable
    Given the plugin registry of this environment
    When floe plugins check runs the compliance suite on every installed plugin
    Then the command exits with code 0
    And every installed plugin passed every check, "implements <ABC>" first
    And the plugins of kinds "compute, dbt, orchestrator, quality, secrets, rbac, network_security, catalog" had their methods called
    And the ABCs' public methods match the surface recorded for major version 0

  @FR-051
  Scenario: A plugin that leaves an abstract method unimplemented is refused with the method named
    Given a compute plugin class "half-done" that does not implement "sql_error"
    When the registry checks it against its ABC
    Then it is refused with "compute plugin 'half-done' does not implement: health_check, sql_error"

  @FR-053
  Scenario: A third-party plugin installed with pip is discovered by floe compile and used by a product
    Given the package "examples/floe-plugin-arrow-quality" is installed with pip
    And a copy of the demo data product "customer-360" whose manifest selects the quality plugin "arrow"
    When floe compile runs on it
    Then the command exits with code 0
    And the artifact's quality plugin is "arrow" at version "0.1.0"
    And floe plugins list shows the quality plugin "arrow" from the distribution "floe-plugin-arrow-quality"
    And the "arrow" plugin finds the 2 duplicate and 1 missing customer_id in a table it is given
    When the package is uninstalled and floe compile runs on it again
    Then the command exits with code 1
    And the error output says "no quality plugin named 'arrow' is installed"

  @FR-052 @TQR-025
  Scenario: Swapping compute from duckdb to spark in floe.yaml runs the same pipeline on Apache Spark
    Given a running platform
    And "customer-360-spark", a copy of "customer-360" whose floe.yaml differs only in "compute: spark"
    Then its artifact resolves compute "spark" and its profiles.yml runs dbt's "spark" adapter in "session" mode on the catalog "lake"
    And its code location's dbt assets carry the compute "spark"
    When the pipelines of "customer-360" and "customer-360-spark" run through Dagster
    Then both runs end with status "SUCCESS", each writing 8 tables
    And every table of "customer_360_spark" was committed by engine "spark" 3.5.8 and of "customer_360" by DuckDB
    And every table of "customer_360_spark" holds the same columns and rows as its "customer_360" twin, read through pyiceberg
