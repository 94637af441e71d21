"""Reproducible benchmarks; see docs/PERFORMANCE.md."""
