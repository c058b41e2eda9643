"""The three demo data products' seed data generator."""
