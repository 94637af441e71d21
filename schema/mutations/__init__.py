"""One module per mutation: its input, its payload, its resolver."""
