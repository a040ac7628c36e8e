"""streaming integration."""
