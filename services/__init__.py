"""Business rules and transactions. Never imports the GraphQL layer."""
