"""YourMusic API: a multi-tenant music-streaming backend (GraphQL + REST)."""

__version__ = "0.2.0"
