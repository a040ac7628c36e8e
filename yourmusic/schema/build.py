"""Assemble the schema: one Query, one Mutation and one Subscription merged from the domain modules."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types

from yourmusic.schema.auth import ClientAuthMutation
from yourmusic.schema.billing import BillingMutation, BillingQuery
from yourmusic.schema.catalog import CatalogQuery
from yourmusic.schema.cors import CorsMutation, CorsQuery
from yourmusic.schema.execution import YourMusicSchema
from yourmusic.schema.health import HealthQuery
from yourmusic.schema.home import HomeMutation, HomeQuery
from yourmusic.schema.limits import QueryLimits
from yourmusic.schema.live import SUBSCRIPTION_DESCRIPTION, LiveSubscription
from yourmusic.schema.playlists import PlaylistsMutation, PlaylistsQuery
from yourmusic.schema.passwordless import PasswordlessMutation
from yourmusic.schema.profile import ProfileMutation, ProfileQuery
from yourmusic.schema.streaming import StreamingMutation, StreamingQuery
from yourmusic.schema.users import UsersMutation, UsersQuery


QUERY_DESCRIPTION = (
    "Reads. Send `Authorization: Bearer <token>`: a client token (a tenant's backend, from issueClientToken) or a "
    "user token (a UDT or a session access token); each field says which it needs. Errors carry "
    "`extensions.code` (the REST contract's codes: UNAUTHENTICATED, INVALID_AUTH_TOKEN, FORBIDDEN, NOT_FOUND, "
    "VALIDATION_FAILED with `extensions.errors`, ...). Catalog data comes from the music aggregator.")
MUTATION_DESCRIPTION = (
    "Writes. Authentication and error codes as for Query; a refused input is VALIDATION_FAILED with "
    "`extensions.errors` naming the REST contract's fields, and changes nothing.")


def build_schema(limits: QueryLimits | None = None,
                 extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]] = ()) -> YourMusicSchema:
    """The schema with its request pipeline (schema/execution.py).

    `limits`: tokens, repeated fields, depth, aliases, cost, introspection (default: QueryLimits()).
    `extensions`: Strawberry SchemaExtension classes or factories, run on every request (tracing adds
    OpenTelemetry's here).
    """
    query = merge_types("Query", (HealthQuery, CatalogQuery, UsersQuery, ProfileQuery, PlaylistsQuery, HomeQuery, BillingQuery, StreamingQuery, CorsQuery))
    mutation = merge_types("Mutation", (ClientAuthMutation, UsersMutation, PasswordlessMutation, ProfileMutation, PlaylistsMutation, HomeMutation, BillingMutation, StreamingMutation, CorsMutation))
    subscription = merge_types("Subscription", (LiveSubscription,))
    query.__strawberry_definition__.description = QUERY_DESCRIPTION  # merge_types takes no description
    mutation.__strawberry_definition__.description = MUTATION_DESCRIPTION
    subscription.__strawberry_definition__.description = SUBSCRIPTION_DESCRIPTION
    return YourMusicSchema(query=query, mutation=mutation, subscription=subscription, extensions=list(extensions),
                           limits=limits)
