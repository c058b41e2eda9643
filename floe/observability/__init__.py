"""Logs and traces for floe's own work (compile stages, platform actions, pipeline runs)."""
