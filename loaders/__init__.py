"""Per-request DataLoaders (``<Target>By<Key>Loader``): one ``WHERE key IN (...)`` per batch."""
