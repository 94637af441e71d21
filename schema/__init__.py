"""The GraphQL schema, one module per domain (its types, inputs and payloads, its
``<Domain>Queries`` and ``<Domain>Mutations``, its ``NODES``) on the machinery of
``schema.infra``; ``schema.build`` merges the domains into the executable schema."""
