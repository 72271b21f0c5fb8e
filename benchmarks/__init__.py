"""Benchmarks: `python -m benchmarks.<name>`; each compares eolink with named peers in one run and prints ratios."""
