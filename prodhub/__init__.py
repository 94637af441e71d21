"""Productivity Hub: application wiring (settings, HTTP app, CLI)."""
