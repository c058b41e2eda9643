"""A small Marquez stand-in for the local target: OpenLineage events in, Marquez's read API out."""
