"""Binds features/observability.feature (US-4)."""

from pytest_bdd import scenarios

scenarios("observability.feature")
