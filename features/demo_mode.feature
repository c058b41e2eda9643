@US-8
Feature: Live demo mode
  As a sales engineer, I run `make demo` to show the platform processing real data for three
  industries (retail customer-360, manufacturing IoT telemetry, financial risk) end to end, with
  what it produced visible in Dagster. On the local target the demo runs on a platform of its own
  (a fresh home and its own ports, stopped at the end), started by the same `floe demo run` that
  `make demo` calls; the Dagster UI and the metrics console are opened in Debian's headless
  Chromium. Dashboards on the local target are Prometheus console templates (DESIGN's stand-in
  for Grafana, which cannot run here), and the Grafana dashboard the chart ships is queried on
  the same Prometheus; lineage is drawn by floe's lineage receiver (the stand-in for Marquez and
  its web UI) from the events it stored.

  @FR-087 @FR-088 @SC-007 @TQR-027 @FR-044
  Scenario: make demo's command on a fresh platform runs the three products end to end within 10 minutes, with real data on its dashboard
    Given "floe demo run" has run, as make demo runs it, on a fresh platform of its own
    Then it exited with code 0 within the spec's 10 minutes, its measured time attached
    And its output lists "customer-360, iot-telemetry, financial-risk", each "SUCCESS" with the rows of its gold tables
    And each gold table holds, read back through the Iceberg REST catalog, the rows the output lists
    And "customer_360.gold_customer_360" holds one row per customer of the demo's seeds
    And Dagster holds one run of each product's pipeline besides scheduled ones, the demo's own, and each product's schedules and sensors are running afterwards
    And its output names the Dagster UI, the traces, the lineage graph and the metrics console of that platform, the desktop's browser was asked to open each, and each answers HTTP 200
    And headless Chromium renders the metrics console it names with each product's last run "success", its models, rows and quality score as Prometheus holds them, and a graph over time per metric with one line per product, its screenshot attached
    And every panel of the Grafana dashboard the chart ships, queried on that platform's Prometheus for all products, returns one series per product

  @FR-084 @FR-048
  Scenario: Dagster and the lineage store show the three products, each its own asset group with a bronze -> silver -> gold lineage
    Given "floe demo run" has run, as make demo runs it, on a fresh platform of its own
    When Dagster's GraphQL API of that platform lists its asset nodes
    Then they form the asset groups "customer_360, financial_risk, iot_telemetry", one per product
    And in every group each gold asset is built, through silver assets, from bronze assets of the same group, and no asset depends on a layer above its own
    And every asset carries its layer as the tag "layer"
    And headless Chromium renders Dagster's global asset lineage with the three groups, and each group's lineage with every asset of its product, its screenshots attached
    And headless Chromium renders the lineage store's graph of each product's last gold table with the nodes and edges its lineage API returns, every table of the product among them

  Scenario: The trace store ties the three product traces to the demo's own trace
    Given "floe demo run" has run, as make demo runs it, on a fresh platform of its own
    When the trace store of that platform is asked for the demo trace its output names, in the project "floe-demo"
    Then the demo trace holds the span "demo.run" and one span "demo.product <product>" per product, each naming its run's trace id
    And each product's run trace, in its own project "floe-<product>", has the root span "pipeline.run <product>" naming the demo trace as the one it is part of

  @FR-083
  Scenario: Each product ships seed data of 100 to 1000 rows per table, scaled by FLOE_DEMO_SEED_SCALE
    Given a copy of the demo's three products
    When floe demo seed runs on the copy with FLOE_DEMO_SEED_SCALE set to 3
    Then the command exits with code 0
    And every seed table of the three products holds 3 times the rows of the committed one, within 1%, as the output lists
    And every committed seed table holds between 100 and 1000 rows
