"""What every domain of the schema builds on: Relay ids and connections, payload errors,
permissions, scalars, cache hints, the Node registry's machinery, the limits and error
display of the executable schema. Nothing here knows a domain."""
