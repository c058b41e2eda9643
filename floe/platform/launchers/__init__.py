"""Entry scripts for services that run in their own Python environment (they import no floe)."""
