"""Deterministic synthetic demo data (``prodhub seed-demo``)."""
