"""The environments an artifact is promoted through, and what each is called on the local target.

dev is the workspace the platform serves, built by 'floe compile'. staging and prod serve what
promotion put in the registry. Each environment writes a table bucket of its own, with a
storage identity of its own that may write nowhere else, so a run in staging cannot touch dev's
or prod's tables, whatever its SQL says. On the chart the same environments are namespaces.
"""

from __future__ import annotations

from floe import config

ENVIRONMENTS = (config.DEV, "staging", "prod")
PROMOTED = ENVIRONMENTS[1:]


def warehouse(base: str, env: str) -> str:
    return base if env == config.DEV else f"{base}-{env}"


def principal(env: str) -> str:
    """The storage and catalog identity runs in ``env`` use."""
    return f"environment-{env}"


def location(env: str, product: str) -> str:
    """The Dagster code location serving ``product`` in ``env`` ('.' never occurs in a
    product's name, so no product's own location can take it)."""
    return product if env == config.DEV else f"{env}.{product}"
