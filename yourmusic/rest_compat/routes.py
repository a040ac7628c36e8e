"""The route table: every REST operation of the contract that is implemented, in the reference's order."""

from __future__ import annotations

from yourmusic.rest_compat import auth, catalog, health, home, playlists, users
from yourmusic.rest_compat import billing, passwordless, profile
from yourmusic.rest_compat import streaming
from yourmusic.rest_compat import cors
from yourmusic.rest_compat.core import Operation

OPERATIONS: list[Operation] = [
    *health.OPERATIONS,
    *auth.OPERATIONS,
    *users.OPERATIONS,
    *passwordless.OPERATIONS,
    *profile.OPERATIONS,
    *billing.OPERATIONS,
    *cors.OPERATIONS,
    *home.OPERATIONS,
    *playlists.OPERATIONS,
    *catalog.OPERATIONS,
    *streaming.OPERATIONS,
]
