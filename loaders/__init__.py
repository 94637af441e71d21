"""Per-request DataLoaders: one ``WHERE key IN (...)`` per batch, each batch in its own session."""
