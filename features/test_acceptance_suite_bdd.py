"""Binds features/acceptance_suite.feature (the spec's test quality rules, FR-008)."""

from pytest_bdd import scenarios

scenarios("acceptance_suite.feature")
