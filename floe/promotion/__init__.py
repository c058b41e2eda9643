"""Artifact promotion: one signed OCI artifact per product version, promoted by digest through
dev, staging and prod, each step behind real gates and recorded in an append-only audit."""
