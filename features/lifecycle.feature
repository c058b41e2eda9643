@US-3
Feature: Pipelines that live on their own: triggers, retention and snapshot expiry
  As a data engineer, I deploy a product and it runs without anyone typing a command: a sensor
  starts its first run once the platform is healthy, a schedule runs it again, and a maintenance
  job keeps its tables within the retention window and its bucket from growing without bound.
  On the test platform schedules and sensors are registered stopped (so no tick fires a run
  another scenario does not expect); each scenario starts or evaluates the one it proves.

  @FR-029 @FR-033
  Scenario: A sensor starts a product's first run once the platform is healthy
    Given a running platform
    And the product "customer-360-evolving" has no run in Dagster
    And the tables of "customer-360-evolving" are dropped from the catalog
    When its sensor "customer_360_evolving_pipeline_first_run" is started through Dagster
    Then within 120 seconds the daemon's sensor tick requests a run tagged "floe/trigger" = "platform-healthy"
    And that run ends with status "SUCCESS" having materialized 8 tables
    And floe triggers lists the sensor "customer_360_evolving_pipeline_first_run" as RUNNING, its last tick naming no new run

  @FR-033
  Scenario: A file landing in the staging bucket starts a run of its product
    Given a running platform
    And the tables of "customer-360-evolving" are dropped from the catalog
    And the landing sensor "customer_360_evolving_pipeline_landing" of "customer-360-evolving" is started through Dagster and has looked once
    When a file "orders-0001.csv" lands in the staging bucket under "customer-360-evolving/"
    Then within 90 seconds the daemon's sensor tick requests a run tagged "floe/trigger" = "landing-file"
    And that run is tagged "floe/landed" = "orders-0001.csv"
    And that run ends with status "SUCCESS" having materialized 8 tables

  @FR-030
  Scenario: Each product's schedule runs its pipeline on the cron its floe.yaml or the manifest sets
    Given a running platform
    When the schedules of "corner-shop" and "iot-telemetry" are read from Dagster
    Then "corner_shop_pipeline_schedule" targets "corner_shop_pipeline" on "*/10 * * * *" in "UTC", the manifest's default
    And "iot_telemetry_pipeline_schedule" targets "iot_telemetry_pipeline" on "*/10 * * * *" in "Europe/Paris", from its floe.yaml
    And "corner_shop_pipeline_maintenance_schedule" targets "corner_shop_pipeline_maintenance" on "*/10 * * * *" in "UTC"
    And a tick of "corner_shop_pipeline_schedule" evaluated by Dagster at 10:20 UTC requests one run of "corner_shop_pipeline"

  @FR-031 @FR-032
  Scenario: Maintenance deletes rows past the retention window, compacts dead files away, expires old snapshots and frees their files
    Given a running platform
    And the product "customer-360-evolving" has run through Dagster from fresh tables, keeping 2 snapshots and expiring "silver_transactions" rows by "transaction_ts"
    And its pipeline ran a second time through Dagster
    And 3 rows of "silver_transactions" stamped 2 hours ago and 3 stamped 10 minutes ago are appended through the catalog
    When its maintenance job runs through Dagster with no grace period for files
    Then the maintenance run ends with status "SUCCESS"
    And "silver_transactions" holds only the 3 rows stamped 10 minutes ago
    And the maintenance run recorded for "silver_transactions" the rows it deleted, as many as the table lost
    And every table's current snapshot holds only data files with a live row and delete files of those files, reads the rows it read before, and the run recorded the files it compacted
    And every table of the product holds at most 2 snapshots, and the run recorded the ids of those it expired
    And no data or manifest file in the bucket under the product's tables is unreferenced by a kept snapshot, and the run recorded the bytes it freed
    And each table's metadata folder holds its current metadata file and at most 2 older ones

  Scenario: Serving a new product while another product runs leaves that run alone
    Given a running platform
    When the pipeline of "iot-telemetry" is launched and has started
    And meanwhile a copy of "customer-360" named "customer-360-late", new to the platform, is compiled into the served folder and run
    Then the new product got a code server of its own and the daemon was restarted while "iot-telemetry" was running
    And the run of "iot-telemetry" and the run of "customer-360-late" both end with status "SUCCESS"
    And the run of "iot-telemetry" ended after the daemon's restart

  Scenario: A service whose pid file was lost is adopted, not started twice
    Given a service started by floe from a temporary platform folder
    When its pid file is lost, as when the CLI that started it dies before writing it
    And floe starts the service again
    Then the same process is tracked again and no second copy runs
    And floe stops it by that pid

  Scenario: A bucket over its quota fails the run with "storage is full", keeps the tables at their last snapshot, and the run succeeds once space is freed
    Given a running platform
    And the pipeline of "customer-360-failing" has run through Dagster
    And the snapshot and row count of "customer_360_failing.gold_customer_360" are noted
    And the "warehouse" bucket is filled past a quota of 1 MB, enforced by SeaweedFS, so that a write into it is refused
    When floe run launches "customer-360-failing" on the platform
    Then the command exits with code 5
    And the error output says "storage is full: the bucket 'warehouse' refuses writes"
    And the error output says "tables were left at their last committed snapshot and nothing was lost"
    And "customer_360_failing.gold_customer_360" is still at the noted snapshot with the noted rows
    When the quota of the "warehouse" bucket is removed and floe run launches "customer-360-failing" again
    Then the command exits with code 0
    And "customer_360_failing.gold_customer_360" has a new snapshot descending from the noted one, with the noted rows
