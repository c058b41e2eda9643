"""Benchmarks behind ``make bench``: medians of repeated real runs, written to a JSON file."""
