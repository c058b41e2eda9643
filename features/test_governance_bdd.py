"""Binds features/governance.feature (US-6)."""

from pytest_bdd import scenarios

scenarios("governance.feature")
