"""Dramatiq actors for periodic and heavy jobs (SPEC §5). Never imports the GraphQL layer."""
