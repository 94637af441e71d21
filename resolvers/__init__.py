"""Resolvers: arguments, permissions and orchestration between the schema and the services."""
