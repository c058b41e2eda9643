"""What runs inside Dagster: code locations built from a CompiledArtifacts file."""
