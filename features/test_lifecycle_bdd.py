"""Binds features/lifecycle.feature (US-3)."""

from pytest_bdd import scenarios

scenarios("lifecycle.feature")
