"""The GraphQL schema, assembled from one module per domain."""

from yourmusic.schema.build import build_schema

__all__ = ["build_schema"]
