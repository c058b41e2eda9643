Feature: The acceptance suite keeps its own promises
  As a product owner, I trust the report only if the suite cannot pass by pretending: nothing
  merely rendered instead of run, no existence-only checks, no TODOs, no skips; and `make e2e` runs every feature in
  dependency order, each on a platform of its own that is torn down before the next starts.

  @TQR-010 @TQR-011 @TQR-012 @TQR-013
  Scenario: The suite holds none of the forbidden test patterns, and the lint catches each one planted
    When the anti-pattern lint runs over the suite's features, steps, tests and conftest.py
    Then the lint reports 0 violations and exits with code 0
    When a copy of the suite gets a step file with a dry-run install, an existence-only assert, a to-do comment and a skip
    And the anti-pattern lint runs over that copy
    Then the lint reports exactly "TQR-010, TQR-011, TQR-012, TQR-013" at the planted lines and exits with code 1

  @FR-008
  Scenario: make e2e runs the features in dependency order, each on a platform torn down before the next
    Given the e2e runner's order lists every feature file of the suite exactly once
    When the e2e runner is asked for "compilation platform_bootstrap"
    Then it ran "platform_bootstrap" then "compilation", each in a pytest process of its own that exited 0
    And the runner found no process left from either feature, and nothing listens on the ports of the platforms they started
    And the Allure results hold one passed result for each scenario of "platform_bootstrap.feature, compilation.feature"
