"""Token signing and secret handling."""
