@US-9
Feature: Multi-product coexistence and schema evolution
  As a data engineer, I evolve my product's tables over time without breaking their readers:
  a new column evolves the Iceberg table in place, a new partition spec applies to new data while
  older files keep theirs, earlier snapshots stay readable by id and by time, and a change that
  would break readers is refused when the product is compiled.

  @FR-090
  Scenario: A model that selects a new column evolves its Iceberg table in place
    Given a running platform
    And the product "customer-360-evolving" has run through Dagster from fresh tables, as the demo wrote it
    When two of its models select a new column each: "silver_transactions" "lower(channel) as channel_key", "gold_customer_360" "upper(left(c.country, 2)) as country_code"
    And the product is compiled and its pipeline runs again through Dagster
    Then the second run ends with status "SUCCESS"
    And table "silver_transactions" has a second schema that adds the column "channel_key", and every data file of the first run is still in its current snapshot
    And in "silver_transactions" the rows of the first run read null for "channel_key" and the rows the second run added carry "lower(channel)"
    And in "gold_customer_360" every row carries "country_code" equal to "upper(left(country, 2))"
    And the first snapshot of "gold_customer_360" still reads 200 rows with its 9 original columns

  @FR-091
  Scenario: A new partition spec applies to the data written after it, and the files written before stay readable under the old one
    Given a running platform
    And the product "customer-360-evolving" has run through Dagster from fresh tables, as the demo wrote it
    When its model "silver_transactions" becomes an appending incremental model with partition_by "month(transaction_ts)"
    And 30 completed transactions of July 2026 are added to its seed "raw_transactions"
    And the product is compiled and its pipeline runs again through Dagster
    Then the second run ends with status "SUCCESS"
    And table "silver_transactions" has a second partition spec "month(transaction_ts)" and keeps its first, unpartitioned one
    And the data files the second run wrote to "silver_transactions" are under the second spec, in the partition of July 2026, and every data file of the first run is still in the current snapshot under the first spec
    And "silver_transactions" reads the first run's rows and the July transactions together, and its first snapshot still reads the first run's rows

  @FR-092
  Scenario: A table can be read as of a snapshot id and as of a point in time
    Given a running platform
    And the pipeline of "customer-360" has run through Dagster
    And the current snapshot of "customer_360.gold_customer_360" and its rows are noted
    When the pipeline of "customer-360" runs a second time
    Then the second run ends with status "SUCCESS"
    And floe table history of "customer_360.gold_customer_360" ends with the noted snapshot, then "delete, append", with 200 live rows after each
    And floe table show at the noted snapshot id returns the noted rows
    And floe table show as of a time between the noted snapshot and the next returns the noted rows
    And floe table show at snapshot id 42 fails with "snapshot 42 is not in the table's history"

  @FR-094
  Scenario Outline: A change that breaks a table's readers is refused at compile time
    Given a copy of "customer-360" whose "gold_customer_360" documents its column "segment" as "varchar", compiled once into its own output folder
    When its model "gold_customer_360" <change>
    And the copy is compiled again into the same folder
    Then the command exits with code 3
    And the error output says "<error>"
    And the compiled artifact in the output folder is the one of the first compile

    Examples:
      | change                                   | error                                                                                                      |
      | no longer selects "c.email,"             | model 'gold_customer_360' drops column 'email' of customer_360.gold_customer_360                           |
      | documents its column "segment" as "integer" | model 'gold_customer_360' changes column 'segment' of customer_360.gold_customer_360 from varchar to integer |

  @FR-094
  Scenario: Additive changes compile, and a breaking one compiles once the major version says so
    Given a copy of "customer-360" whose "gold_customer_360" documents its column "segment" as "varchar", compiled once into its own output folder
    When its model "gold_customer_360" also selects "1 as loyalty_points"
    And the copy is compiled again into the same folder
    Then the command exits with code 0
    When its model "gold_customer_360" no longer selects "c.email,"
    And its floe.yaml declares version "2.0.0"
    And the copy is compiled again into the same folder
    Then the command exits with code 0
    And the compiled artifact records product version "2.0.0"

  @FR-093
  Scenario: Products with the same table names run at the same moment, each in its own namespace
    Given a running platform
    When the pipelines of "customer-360, customer-360-failing, iot-telemetry" are launched at the same moment
    Then every one of these runs ends with status "SUCCESS", and their run times overlap
    And each run wrote only tables of its own namespace: "customer_360, customer_360_failing, iot_telemetry"
    And "customer_360.gold_customer_360" and "customer_360_failing.gold_customer_360" are two tables, each with its own 200 rows and its own data files

  Scenario: Two runs that commit to the same tables at once leave them consistent
    Given a running platform
    And the pipeline of "customer-360" has run through Dagster
    When two runs of "customer-360" are launched at the same moment
    Then both racing runs end with status "SUCCESS"
    And "customer_360.gold_customer_360" holds 200 rows with unique "customer_id"
    And "customer_360.silver_transactions" still holds the rows of the first run, each "transaction_id" once
