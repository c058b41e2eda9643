"""Binds features/platform_chart.feature (US-6)."""

from pytest_bdd import scenarios

scenarios("platform_chart.feature")
