"""Per-request DataLoaders (built lazily by the Context, never at module level)."""
