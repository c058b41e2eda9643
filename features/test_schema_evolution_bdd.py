"""Binds features/schema_evolution.feature (US-9)."""

from pytest_bdd import scenarios

scenarios("schema_evolution.feature")
