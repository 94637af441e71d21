"""Dramatiq actors for periodic and heavy jobs. Never imports the GraphQL layer."""
