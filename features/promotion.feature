@US-7
Feature: Artifact promotion
  As a platform operator, I promote a product's signed artifact dev -> staging -> prod. Each step
  runs the signature, policy and security gates on the artifact's own bytes, pulled from the
  platform's OCI registry by digest, and prod also needs a second principal's approval.
  What ran on the local target: the Distribution registry (Debian's docker-registry) holds the
  artifacts, cosign signs and verifies them, the policy gate service evaluates the platform's Rego
  policies over OPA's REST data API (regopy inside; OPA in the chart), and the audit trail is a
  PostgreSQL table. Environments are the registry's repositories dev/, staging/ and prod/, and on
  the local target each promoted environment is a Dagster code location of its own
  ("staging.<product>") serving the promoted digest, writing a table bucket of its own
  ("warehouse-staging") with a storage identity that may write nowhere else; the Kubernetes
  namespaces floe-dev, floe-staging and floe-prod need the chart on Kind.

  @FR-071 @SC-009
  Scenario: Promotion to staging runs the signature, policy and security gates, then copies the artifact by digest
    Given a running platform
    And the product "promo-flow", a copy of "customer-360", compiled and pushed to dev by "alice"
    When "alice" promotes "promo-flow" from "dev" to "staging"
    Then the command exits with code 0
    And the audit trail of that request holds the gates "signature, policy, security", each "pass", then the action "promoted"
    And the registry's "staging" repository of "promo-flow" holds dev's digest under the tags "1.0.0, current"
    And cosign verifies that digest in "staging" with the key the "staging" environment trusts
    And the artifact pulled from "staging" by that digest is "promo-flow" 1.0.0 with 6 models and its dbt project

  @FR-072 @SC-009
  Scenario: A hard-coded credential in a model fails the security gate and blocks the promotion with its reason
    Given a running platform
    And the product "promo-leaky", a copy of "customer-360" whose model "silver_customers" holds the line "-- password = 'hunter2hunter2'", compiled and pushed to dev by "alice"
    When "alice" promotes "promo-leaky" from "dev" to "staging"
    Then the command exits with code 3
    And the error output says "security gate: dbt/models/silver/silver_customers.sql:1 holds a hard-coded credential"
    And the error output says "nothing was promoted"
    And the registry's "staging" repository of "promo-leaky" holds nothing
    And the audit trail of that request records the "security" gate as "fail" and the action "blocked"

  @FR-072
  Scenario: A pre-release is refused for prod by the platform's policy, named in the reason
    Given a running platform
    And the product "promo-rc", a copy of "customer-360" at version "1.1.0-rc.1", compiled and pushed to dev by "alice"
    And "alice" has promoted "promo-rc" from "dev" to "staging"
    When "alice" promotes "promo-rc" from "staging" to "prod"
    Then the command exits with code 3
    And the error output says "policy gate: prod runs released versions only: 1.1.0-rc.1 is a pre-release"
    And the registry's "prod" repository of "promo-rc" holds nothing
    And the audit trail of that request records the "policy" gate as "fail" and the action "blocked"

  @FR-072
  Scenario: Content pushed over a signed version behind floe's back has no signature and is refused
    Given a running platform
    And the product "promo-tampered", a copy of "customer-360", compiled and pushed to dev by "alice"
    And someone overwrites the tags "1.0.0, current" of "dev/promo-tampered" with other content straight through the registry
    When "alice" promotes "promo-tampered" from "dev" to "staging"
    Then the command exits with code 3
    And the error output says "signature gate: no signature found for"
    And the registry's "staging" repository of "promo-tampered" holds nothing

  @FR-072
  Scenario: A signed artifact whose layer was changed in the registry's storage fails the security gate
    Given a running platform
    And the product "promo-blob", a copy of "customer-360", compiled and pushed to dev by "alice"
    And someone flips bytes of the layer blob of "dev/promo-blob" in the registry's storage
    When "alice" promotes "promo-blob" from "dev" to "staging"
    Then the command exits with code 3
    And the error output says "security gate: dev/promo-blob@sha256:"
    And the error output says "the registry's copy was changed"
    And the registry's "staging" repository of "promo-blob" holds nothing
    And the audit trail of that request records the "signature" gate as "pass" and the action "blocked"

  @FR-072
  Scenario: With the policy gate service down, promotion blocks (fail-closed), and passes once the gate is back
    Given a running platform
    And the product "promo-gate", a copy of "customer-360", compiled and pushed to dev by "alice"
    And the policy gate service is stopped
    When "alice" promotes "promo-gate" from "dev" to "staging"
    Then the command exits with code 3
    And the error output says "policy gate: the policy gate at http://127.0.0.1:"
    And the error output says "cannot be reached (ConnectionError): promotion fails closed"
    And the registry's "staging" repository of "promo-gate" holds nothing
    When the policy gate service is started again
    And "alice" promotes "promo-gate" from "dev" to "staging"
    Then the command exits with code 0
    And the registry's "staging" repository of "promo-gate" holds dev's digest under the tags "1.0.0, current"

  @FR-075
  Scenario: Prod waits for approval by a second principal: the requester cannot approve, another one can
    Given a running platform
    And the product "promo-approval", a copy of "customer-360", compiled and pushed to dev by "alice"
    And "alice" has promoted "promo-approval" from "dev" to "staging"
    When "alice" promotes "promo-approval" from "staging" to "prod"
    Then the command exits with code 0
    And the output says "awaiting approval"
    And the registry's "prod" repository of "promo-approval" holds nothing
    When "alice" approves that request
    Then the command exits with code 1
    And the error output says "cannot approve it: a production promotion needs a second principal"
    And the log holds the security event "security.privilege_violation" naming the principal "alice" and the action "approve own promotion request"
    And the registry's "prod" repository of "promo-approval" holds nothing
    When "bob" approves that request
    Then the command exits with code 0
    And the registry's "prod" repository of "promo-approval" holds dev's digest under the tags "1.0.0, current"
    And cosign verifies that digest in "prod" with the key the "prod" environment trusts
    And the audit trail of that request shows it requested by "alice", its 3 gates passed again at approval by "bob", approved by "bob", then "promoted"

  @FR-074
  Scenario: Rolling back prod deploys the previous digest again and deletes nothing
    Given a running platform
    And the product "promo-rollback", a copy of "customer-360", compiled and pushed to dev by "alice"
    And "promo-rollback" is in prod, requested by "alice" and approved by "bob"
    And the product "promo-rollback" at version "1.0.1" with a changed model, compiled and pushed to dev by "alice"
    And "promo-rollback" is in prod, requested by "alice" and approved by "bob"
    When "bob" rolls back "promo-rollback" in "prod"
    Then the command exits with code 0
    And the registry's "prod" repository of "promo-rollback" deploys the digest of version "1.0.0" as "current"
    And the registry's "prod" repository of "promo-rollback" still holds version "1.0.1" under its own digest
    And the audit trail of "promo-rollback" ends with "rolled_back" by "bob" to the digest of version "1.0.0"
    And Dagster's code location "prod.promo-rollback" serves the digest of version "1.0.0"
    When floe runs "promo-rollback" in "prod"
    Then the command exits with code 0
    And Dagster ran it from the code location "prod.promo-rollback", tagged with the environment "prod" and the digest of version "1.0.0"

  @TQR-026
  Scenario: One signed artifact moves dev -> staging -> prod; each environment serves that digest and runs it in its own warehouse
    Given a running platform
    And the product "promo-envs", a copy of "customer-360", compiled and pushed to dev by "alice"
    And "promo-envs" is in prod, requested by "alice" and approved by "bob"
    Then Dagster's code location "staging.promo-envs" serves the digest of version "1.0.0"
    And Dagster's code location "prod.promo-envs" serves the digest of version "1.0.0"
    And the audit trail of "promo-envs" shows that digest promoted to "staging" by "alice", then approved and promoted to "prod" by "bob"
    When floe runs "promo-envs" in "staging"
    Then the command exits with code 0
    And Dagster ran it from the code location "staging.promo-envs", tagged with the environment "staging" and the digest of version "1.0.0"
    And the catalog's warehouse "warehouse-staging" holds the 8 tables of "promo_envs", "gold_customer_360" with 200 rows
    And the catalog's warehouse "warehouse" holds no table of "promo_envs"
    And the catalog's warehouse "warehouse-prod" holds no table of "promo_envs"
    And the storage identity of "staging" writes into "warehouse-staging" but is refused in "warehouse" and "warehouse-prod"

  Scenario Outline: floe run in an environment refuses what was not promoted there, naming the fix
    Given a running platform
    When floe run is asked for "<arguments>"
    Then the command exits with code 1
    And the error output says "<reason>"
    And the error output says "<fix>"
    And the error output holds no stack trace and no internal path

    Examples:
      | arguments                | reason                                  | fix                                   |
      | promo-nowhere --env prod | 'promo-nowhere' is not deployed in prod | floe promote promo-nowhere --to prod  |
      | promo-nowhere --env qa   | 'qa' is not an environment              | use one of dev, staging, prod         |

  Scenario: A product names the platform's manifest by its oci:// reference, and floe compile pulls it from the registry
    Given a running platform
    And the platform team has published the platform's manifest with floe manifest push
    And the product "oci-flow", a copy of "customer-360" whose floe.yaml names that manifest as "oci://{registry}/platform/floe-demo-platform:1.0.0"
    When floe compile runs on "oci-flow"
    Then the command exits with code 0
    And the artifact of "oci-flow" records the sha256 of the manifest the registry holds under "platform/floe-demo-platform:1.0.0", which is the manifest the platform registered
    When its floe.yaml names "oci://{registry}/platform/floe-demo-platform:9.9.9" instead
    And floe compile runs on "oci-flow"
    Then the command exits with code 2
    And the error output says "platform.manifest 'oci://127.0.0.1:"
    And the error output says "names nothing in the registry (platform/floe-demo-platform holds 1.0.0)"
    And the error output holds no stack trace and no internal path

  @FR-073 @SC-009
  Scenario: The audit trail says who promoted what, when and through which gates, as rows PostgreSQL will not change
    Given a running platform
    And the product "promo-audit", a copy of "customer-360", compiled and pushed to dev by "alice"
    When "alice" promotes "promo-audit" from "dev" to "staging" with JSON logs
    Then the command exits with code 0
    And the log holds the event "promotion.promoted" for "promo-audit" by "alice" with the digest
    When floe promote history runs for "promo-audit"
    Then the command exits with code 0
    And the output lists the actions "pushed, requested, gate, gate, gate, promoted" by "alice", each with the digest and a time
    And the audit table holds the same rows for "promo-audit", in time order
    And PostgreSQL refuses to update or delete a row of the audit trail with "promotion_audit is append-only"

  Scenario Outline: A request that cannot be served is refused with the reason, changes nothing, and is recorded
    Given a running platform
    And the product "promo-bad", a copy of "customer-360", compiled and pushed to dev by "alice"
    When "alice" runs floe promote with "<arguments>"
    Then the command exits with code 1
    And the error output says "<reason>"
    And the error output holds no stack trace and no internal path
    And the audit trail of "promo-bad" ends with "refused" by "alice" saying "<reason>"
    And the registry's "staging" repository of "promo-bad" holds nothing

    Examples:
      | arguments                                   | reason                                                    |
      | promo-bad --to qa                           | 'qa' is not an environment                                |
      | promo-bad --from dev --to dev               | promo-bad cannot be promoted from dev to itself           |
      | promo-bad --from dev --to prod              | after dev comes staging, not prod                         |
      | promo-bad --to staging --version 9.9.9      | version 9.9.9 of promo-bad is not in dev (it holds 1.0.0) |

  @k8s @FR-070
  Scenario: On Kind, dev, staging and prod are the namespaces floe-dev, floe-staging and floe-prod of one cluster
    Given a clean Kind cluster with the floe-platform chart installed
    When the chart is installed into the same cluster as the releases of "staging, prod", each into its namespace "floe-<environment>" with that environment's values
    Then the cluster's namespaces include "floe-dev, floe-staging, floe-prod", each holding one release whose objects carry its environment
    And all pods of "floe-dev, floe-staging, floe-prod" reach Ready within 600 seconds
    And each environment's code servers run with FLOE_ENVIRONMENT set to it
