"""Binds features/data_pipeline.feature (US-3)."""

from pytest_bdd import scenarios

scenarios("data_pipeline.feature")
