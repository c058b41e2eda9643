"""Binds features/plugin_system.feature (US-5)."""

from pytest_bdd import scenarios

scenarios("plugin_system.feature")
