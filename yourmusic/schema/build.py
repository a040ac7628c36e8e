"""Assemble the schema: one Query and one Mutation merged from the domain modules."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from yourmusic.db import database_unavailable
from yourmusic.errors import AppError, ServiceUnavailable
from yourmusic.schema.auth import ClientAuthMutation
from yourmusic.schema.billing import BillingMutation, BillingQuery
from yourmusic.schema.catalog import CatalogQuery
from yourmusic.schema.cors import CorsMutation, CorsQuery
from yourmusic.schema.health import HealthQuery
from yourmusic.schema.home import HomeMutation, HomeQuery
from yourmusic.schema.limits import QueryLimits
from yourmusic.schema.playlists import PlaylistsMutation, PlaylistsQuery
from yourmusic.schema.passwordless import PasswordlessMutation
from yourmusic.schema.profile import ProfileMutation, ProfileQuery
from yourmusic.schema.streaming import StreamingMutation, StreamingQuery
from yourmusic.schema.users import UsersMutation, UsersQuery

log = logging.getLogger("yourmusic.graphql")


MASKED_MESSAGE = "Internal server error."


def is_unexpected(error: GraphQLError) -> bool:
    """Errors we did not raise on purpose: their text may hold internals, so it is masked."""
    original = error.original_error
    return original is not None and not isinstance(original, (AppError, GraphQLError))


def masked(error: GraphQLError) -> GraphQLError:
    """What a caller sees instead of an unexpected error (both /graphql paths): a database outage says
    so with REST's 503 code (retry later), anything else is a bare internal error. Never the text."""
    if database_unavailable(error.original_error):
        message, code = ServiceUnavailable.default_message, ServiceUnavailable.code
    else:
        message, code = MASKED_MESSAGE, "INTERNAL_SERVER_ERROR"
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, extensions={"code": code})


class _MaskErrors(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return masked(error)


class YourMusicSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log only what is a bug; an expected NOT_FOUND or 422 is an answer, not an incident."""
        for error in errors:
            if is_unexpected(error):
                log.error("unhandled error in %s", error.path, exc_info=error.original_error)


def build_schema(limits: QueryLimits | None = None) -> strawberry.Schema:
    """`limits`: depth, aliases, tokens, cost, introspection (the fast path applies the same object)."""
    limits = limits or QueryLimits()
    query = merge_types("Query", (HealthQuery, CatalogQuery, UsersQuery, ProfileQuery, PlaylistsQuery, HomeQuery, BillingQuery, StreamingQuery, CorsQuery))
    mutation = merge_types("Mutation", (ClientAuthMutation, UsersMutation, PasswordlessMutation, ProfileMutation, PlaylistsMutation, HomeMutation, BillingMutation, StreamingMutation, CorsMutation))
    return YourMusicSchema(
        query=query,
        mutation=mutation,
        extensions=[
            # Front-ends send the same few documents over and over: parse and validate each once.
            # Parsing is QueryLimits.parse (cached, token-limited); its validation rules join the cached set.
            *limits.extensions(),
            lambda: ValidationCache(maxsize=512),
            lambda: _MaskErrors(should_mask_error=is_unexpected, error_message=MASKED_MESSAGE),
        ],
    )
