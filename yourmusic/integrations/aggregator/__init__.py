"""aggregator integration."""
