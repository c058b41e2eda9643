"""Binds features/promotion.feature (US-7)."""

from pytest_bdd import scenarios

scenarios("promotion.feature")
