@US-4
Feature: Observability & Lineage
  As a platform operator, I verify that every pipeline execution produces OpenTelemetry traces,
  OpenLineage events, metrics and structured logs that are queryable through the observability
  stack. On the local target the stores are: Arize Phoenix for traces (behind the rotel OTLP
  collector; Jaeger in the chart), floe's OpenLineage receiver speaking Marquez's API (Marquez
  in the chart) and Prometheus fed by a pushgateway (Grafana in the chart). Every step reads
  back from those stores over HTTP.

  @FR-040 @FR-047 @SC-004 @TQR-023 @TQR-001
  Scenario: A completed run has one trace with a span per dbt model, parent-child correct
    Given a running platform
    When the pipeline of "iot-telemetry" is triggered through the Dagster webserver
    Then the Dagster run ends with status "SUCCESS"
    And the trace store returns the run's trace for service "floe-iot-telemetry" within 5 seconds of the run's end
    And the trace's root span is "pipeline.run iot-telemetry" with no parent
    And the trace has a "dbt.model" span for each of the 5 models and a "dbt.seed" span for each of the 2 seeds, each a child of the root span
    And each model span carries its product, layer, rows written and the Iceberg snapshot id the catalog holds for its table
    And each model span has one child span "iceberg.commit" naming its table and snapshot
    And the trace has a "dbt.test" span, child of the root span, for each of the 16 dbt tests

  @FR-006
  Scenario: The OTel collector receives OTLP spans and forwards them to the trace store
    Given a running platform
    When a span "collector.probe" of service "floe-collector-probe" is sent to the collector over OTLP/HTTP
    Then the collector answers HTTP 200
    And within 5 seconds the trace store returns, by its trace id, the span "collector.probe" of service "floe-collector-probe" with its attribute "probe.sequence" = 1
    When the collector is stopped and a second span is sent to its port
    Then the send is refused and the trace store holds no span with the second span's trace id

  @FR-040 @FR-047
  Scenario: Compiling a product is traced stage by stage
    Given a running platform
    When "customer-360" is compiled by the floe CLI with the platform's environment loaded
    Then the trace store holds a "floe.compile" trace of "customer-360" for service "floe-compiler"
    And its child spans are "floe.compile.load, floe.compile.validate, floe.compile.resolve, floe.compile.enforce, floe.compile.compile, floe.compile.generate", in that order

  @FR-041 @FR-042 @SC-005 @TQR-023 @TQR-001
  Scenario: OpenLineage events exist at all four emission points with the right datasets
    Given a running platform
    And the pipeline of "customer-360" has run through Dagster
    When the lineage receiver is asked for the events of that run
    Then every event validates against the OpenLineage 2-0-2 schema and the schemas of its facets
    And each of the 8 tables has a dbt "START" and a dbt "COMPLETE" event naming it as the output
    And each of the 8 tables has a Dagster asset materialization "COMPLETE" event whose row count equals the catalog's
    And the pipeline job "customer_360_pipeline" has a "START" and a "COMPLETE" event for the Dagster run id
    And the dbt events of "gold_customer_360" name its inputs "customer_360.silver_customers, customer_360.silver_transactions" in the catalog's namespace, with the columns the catalog holds
    And every dbt and asset event has a parent run facet pointing at the pipeline run
    And every event carries the run's trace id, and the span id of a span of that trace in the trace store
    And the lineage graph of "customer_360.gold_customer_360" leads back to "customer_360.raw_customers" and "customer_360.raw_transactions"

  @FR-043 @TQR-023
  Scenario: Prometheus holds the pipeline metrics of a run and the dashboards show them
    Given a running platform
    When the pipeline of "financial-risk" is triggered through the Dagster webserver
    Then the Dagster run ends with status "SUCCESS"
    And Prometheus answers for "financial-risk": model count 5, error rate 0, run succeeded 1
    And Prometheus' run duration for "financial-risk" is positive and at most the Dagster run's duration
    And Prometheus' rows written for "financial-risk" equals the rows the catalog holds in the run's tables
    And the Prometheus console "floe-pipelines.html" shows "financial-risk" with 5 models
    And every panel of the Grafana dashboard queries a metric that Prometheus holds

  @FR-045 @FR-041 @TQR-023
  Scenario: A failed run's structured logs lead to the failing model by trace id
    Given a running platform
    And the product "customer-360-failing" in the platform, whose model "gold_segments" fails at run time
    When its pipeline fails through the Dagster webserver
    Then the Dagster run ends with status "FAILURE"
    And every line of the run's JSON log carries the run's trace id and a span id
    And the run's error log line names the model "gold_segments", and its span id is an ERROR span "dbt.model gold_segments" in the trace store
    And the lineage receiver holds a "FAIL" event for "gold_segments" with the error message, and a "FAIL" event for the pipeline

  @FR-046
  Scenario: With the collector and the lineage receiver down, a pipeline still succeeds
    Given a running platform
    And the services "rotel, lineage-receiver" are stopped
    When the pipeline of "iot-telemetry" is triggered through the Dagster webserver
    Then the Dagster run ends with status "SUCCESS"
    And the run's log warns exactly once that spans were lost and once that lineage events were lost
    And after the services are started again the next run's trace is in the trace store
