@US-6
Feature: The floe-platform Helm chart, proven without a cluster
  As a platform operator, I install floe on Kubernetes with the floe-platform chart. Here no
  container engine runs, so the chart is proven by what helm renders: helm itself (lint and
  template), the Kubernetes API schemas, checkov, and a NetworkPolicy simulator over the rendered
  policies. The same chart installed into Kind is proven by the @k8s scenarios of this feature.

  Scenario: The chart lints and renders for dev, staging and prod, every object valid against the Kubernetes API
    When helm lints the chart strictly
    Then helm reports "1 chart(s) linted, 0 chart(s) failed"
    When the chart is rendered with the values of "dev, staging, prod"
    Then every rendered object is valid against the Kubernetes 1.33 API schemas
    And each render holds the services "postgresql, polaris, minio, dagster-webserver, otel-collector, jaeger, prometheus, grafana, registry, opa, marquez, marquez-web"
    And each render holds the Deployments "dagster-daemon, registry, opa, code-customer-360, code-iot-telemetry, code-financial-risk" and the Jobs "minio-setup, polaris-bootstrap"
    And the NodePorts of dev are "30181, 30300, 30301, 30400, 30900, 30901, 30990, 31686", staging's each 10 higher and prod's each 20 higher, so no two environments share one
    And every object of each render lives in the namespace "floe-<environment>" with the label floe.dev/environment, none is cluster-scoped, and every code server runs with FLOE_ENVIRONMENT set to its environment
    And every container runs as a non-root user of UID 10001 with a read-only root filesystem, no privilege escalation, no capabilities and CPU and memory limits
    And every container of a Deployment or StatefulSet has a readiness and a liveness probe
    And OPA serves the policies of the ConfigMap "opa-policies" on its Service's port, its "promotion.rego" byte for byte demo/policies/promotion.rego
    And OPA's API authorization, evaluated by floe's policy gate, answers these requests:
      | method | path                         | allowed |
      | POST   | /v1/data/floe/promotion/deny | yes     |
      | GET    | /health                      | yes     |
      | PUT    | /v1/policies/promotion.rego  | no      |
      | DELETE | /v1/policies/promotion.rego  | no      |
      | GET    | /v1/policies                 | no      |
      | PUT    | /v1/data/floe/promotion      | no      |
      | POST   | /v1/data/system/authz/allow  | no      |
      | POST   | /v1/query                    | no      |

  @FR-049
  Scenario: Marquez is a sub-chart whose database the manifest chooses
    When the chart is rendered from the demo manifest with marquez_database "shared"
    Then Marquez reads its database from the release's PostgreSQL service, where the init script creates the database "marquez"
    And the Marquez web UI is a NodePort service on port 30400
    When the chart is rendered from the demo manifest with marquez_database "dedicated"
    Then Marquez reads its database from the StatefulSet "marquez-db" and the release's PostgreSQL creates no database "marquez"

  @FR-061 @TQR-024
  Scenario: Every credential in the chart is a Secret reference, never a literal
    When the chart is rendered with the values of "prod"
    Then every env var named like a password, secret, key, token or credential comes from a secretKeyRef or only from such vars
    And the only Secret rendered is the credentials Secret, with 11 generated keys and the registry's htpasswd entry
    And the registry, started from its rendered config, Secret and env, answers 401 without a login and 200 to user "floe" with the Secret's "registry-password", the password the Dagster daemon holds
    And two renders generate different credential values, and none appears in a values file
    And with global.existingSecret "ops-managed" no Secret is rendered, every secret volume names "ops-managed" and every secretKeyRef names it or a product principal's Secret

  @FR-060
  Scenario: The rendered NetworkPolicies allow each declared flow and deny everything else
    When the chart is rendered with the values of "staging, prod"
    Then the policies start from a default deny of ingress and egress for every pod of the release
    And the simulator allows every flow of the platform's declared dependency table
    And the simulator denies these flows:
      | from              | to          | port |
      | user-code         | minio       | 9001 |
      | grafana           | minio       | 9001 |
      | user-code         | user-code   | 4000 |
      | jaeger            | postgresql  | 5432 |
      | marquez-web       | postgresql  | 5432 |
      | dagster-webserver | minio       | 9000 |
      | user-code         | polaris     | 8182 |
      | user-code         | registry    | 5100 |
      | user-code         | opa         | 8282 |
    And the simulator denies a "staging" user-code pod reaching the "prod" PostgreSQL

  Scenario: checkov finds no failed check beyond the accepted ones, each accepted with its reason
    When the chart is rendered with the values of "prod"
    And checkov scans the rendered manifests
    Then checkov passed at least 1000 checks
    And every failed check is listed in charts/floe-platform/checkov-accepted.yaml with a reason, and every listed check still fails

  Scenario Outline: A values file that breaks the chart's rules is refused, naming the key and the fix
    When the chart is rendered with the extra values "<values>"
    Then helm fails and its error says "<error>"

    Examples:
      | values                                                                        | error                                                    |
      | postgresql: {prot: 5}                                                         | postgresql: Additional property prot is not allowed      |
      | marquez: {database: elsewhere}                                                | marquez.database must be one of the following            |
      | image: {tag: latest}                                                          | image.tag                                                |
      | registry: {image: {tag: latest}}                                              | registry.image.tag                                       |
      | products: [{name: a, namespace: shop}, {name: b, namespace: shop}]            | 'shop' is owned by another product                       |
      | networkPolicy: {flows: [{from: nobody, to: postgresql, ports: [5432]}]}       | networkPolicy.flows.0.from                               |

  @k8s @FR-060 @TQR-024
  Scenario: On Kind, a pod's connection to an undeclared service is refused
    Given a clean Kind cluster with the floe-platform chart installed
    Then a connection from the "customer-360" code location to the MinIO console on port 9001 fails
    And a connection from the "customer-360" code location to Polaris on port 8181 succeeds
