"""Binds features/platform_bootstrap.feature (US-1)."""

from pytest_bdd import scenarios

scenarios("platform_bootstrap.feature")
