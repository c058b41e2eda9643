"""File names of a compiled product, importable without the artifact's models."""

ARTIFACT_FILE = "compiled_artifacts.json"
