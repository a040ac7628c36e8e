"""stripe integration."""
