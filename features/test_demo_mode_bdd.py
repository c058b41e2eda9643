"""Binds features/demo_mode.feature (US-8)."""

from pytest_bdd import scenarios

scenarios("demo_mode.feature")
