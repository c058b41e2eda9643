"""Binds features/compilation.feature (US-2)."""

from pytest_bdd import scenarios

scenarios("compilation.feature")
