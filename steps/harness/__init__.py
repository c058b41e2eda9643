"""Suite tooling: requirement ids, the traceability matrix, and the anti-pattern lint."""
