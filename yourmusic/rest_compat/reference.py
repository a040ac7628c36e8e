"""What the published reference (v0.2.0) says about each operation, beyond the route table: its
description, request sample and response samples, the tags' descriptions and the path parameters'
descriptions. One place, keyed by operationId; `openapi.py` emits it (`description`, `examples`) and
/docs (Redoc) renders it. `tests/test_openapi.py` checks that every sample validates against its schema.

An operation's own `Operation.description` (notes beyond the reference) is appended after the
reference's text, unless it already contains it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The reference's tags, in its order, with their descriptions; tags beyond it (Billing) come after.
TAGS: dict[str, str] = {
    "Public & Health": "Heartbeat and service status endpoints.",
    "Authentication": "OAuth2 client credentials token issuance and User Delegation Token minting; "
                      "passwordless (email OTP) sign-in sessions.",
    "Users": "Tenant-authenticated (M2M) endpoints for user management.",
    "Profile": "End-user self-profile endpoints (UDT-authenticated).",
    "Checkout": "Stripe Checkout sessions for subscription products (UDT-authenticated).",
    "Home": "Composed home page. Auth optional; guests send X-Tenant (slug), authenticated use user's tenant.",
    "Playlists": "The user's playlists and their tracks (UDT-authenticated).",
    "Artists": "Catalog artists, from the aggregator (client token or UDT).",
    "Releases": "Catalog releases, from the aggregator (client token or UDT).",
    "Tracks": "Catalog tracks, from the aggregator (client token or UDT).",
    "Streaming": "HLS manifests and play reports (UDT-authenticated).",
    "Billing": "Beyond the reference: the tenant's subscription products, checkout redirect settings "
               "and the Stripe webhook.",
    "CORS": "Beyond the reference: the web origins a tenant's front-ends may call the API from (client token).",
}

# Path parameters: (description, JSON-schema format or None).
PATH_PARAMS: dict[str, tuple[str, str | None]] = {
    "user_id": ("ID of the user.", "uuid"),
    "playlist_id": ("ID of the playlist.", "uuid"),
    "playlistTrackId": ("ID of the playlist track (an entry of the playlist, not the catalog track).", "uuid"),
    "artist_id": ("ID of the artist", None),
    "release_id": ("ID of the release", None),
    "track_id": ("ID of the track", None),
    "stream_id": ("Stream ID used to fetch the HLS manifest.", "uuid"),
    "product": ("The product's id or slug.", None),
}

# Query parameters the reference describes (the validation models carry the types and ranges).
QUERY_PARAMS: dict[str, str] = {
    "q": "Search terms",
    "page": "Page number",
    "pageSize": "Number of items per page",
    "per_page": "Items per page (1..100, default 15)",
    "usageTypes": "Usage types (download or stream)",
    "type": "Release type",
    "imageSize": "Image size",
    "excludeExplicitContent": "Exclude explicit content",
    "artistId": "Artist ID",
    "showErrors": "Show errors",
    "releaseids": "Comma-separated list of release IDs",
    "trackids": "Comma-separated list of track IDs",
    "letter": "Letter to browse by",
    "keyword": "Keyword to match against playlist name.",
    "with": "Relationships to include in the response.",
}

# JSON fields of bodies and answers, by name (`Component.field` where a name means different things): the
# reference's texts where it has one, else this service's. Applied to component properties without a
# description of their own (the models' own `Field(description=...)` come first).
FIELDS: dict[str, str] = {
    # errors
    "Error.message": "What went wrong, for people; do not parse it.",
    "Error.code": "The error code to branch on (`NOT_FOUND`, `VALIDATION_FAILED`, ...); GraphQL errors carry the "
                  "same in `extensions.code`.",
    "ValidationError.message": "`The given data was invalid.`",
    "ValidationError.errors": "The invalid fields, each with its messages (the contract's field names; "
                              "`items.0.track_id` for a list item).",
    "OAuthError.error": "RFC 6749 §5.2 error code: `invalid_request`, `invalid_client` or `unsupported_grant_type`.",
    "OAuthError.error_description": "What went wrong, for people.",
    # tokens
    "HeartbeatOut.time": "Server time in UTC (ISO 8601).",
    "grant_type": "Only `client_credentials`.",
    "client_id": "The client's id (from `yourmusic client create`).",
    "client_secret": "The client's secret (shown once at creation). Leave it out when authenticating with HTTP "
                     "Basic.",
    "access_token": "The bearer token (a JWT) to send as `Authorization: Bearer <token>`.",
    "token_type": "Always `Bearer`.",
    "ClientTokenOut.expires_in": "Seconds until the token expires (CLIENT_TOKEN_TTL, default 3600).",
    "DelegationTokenOut.expires_in": "Seconds until the UDT expires (UDT_TTL, default 600).",
    "SessionOut.expires_in": "Seconds until the access token expires (SESSION_ACCESS_TTL, default 3600).",
    "DelegationTokenOut.token": "The UDT: a bearer token (a JWT) for this user on this device.",
    "deviceId": "Unique identifier of the device the UDT is bound to.",
    "device_id": "Unique identifier of the device the session is bound to (chosen by the app).",
    # pagination (Laravel)
    "PageLinks.first": "URL of the first page.",
    "PageLinks.last": "URL of the last page.",
    "PageLinks.prev": "URL of the previous page; null on the first.",
    "PageLinks.next": "URL of the next page; null on the last.",
    "current_page": "This page's 1-based number.",
    "PageMetaOut.from": "1-based index of this page's first item; null when the page is empty.",
    "last_page": "The last page's number (1 when there are no items).",
    "PageMetaOut.path": "This listing's URL without a query.",
    "per_page": "Items per page (1..100).",
    "PageMetaOut.to": "1-based index of this page's last item; null when the page is empty.",
    "total": "How many items all pages hold together.",
    "data": "The items of this page.",
    "links": "URLs of the first, last, previous and next pages.",
    "meta": "Page numbers and totals.",
    # users
    "id": "Unique identifier (UUID).",
    "first_name": "Given name (1..255 characters).",
    "last_name": "Family name (1..255 characters).",
    "email": "Email address, unique in the tenant (case-insensitive).",
    "date_of_birth": "Date of birth (YYYY-MM-DD), in the past.",
    "UserOut.status": "Subscription state: `SUBSCRIBED` (may stream), `UNSUBSCRIBED` or `PAST_DUE` (a renewal "
                      "payment failed).",
    "subscription_ends_at": "When the paid period ends (UTC); null without a subscription.",
    "pm_type": "Brand of the payment card on file (`visa`); null when none.",
    "pm_last_four": "Last four digits of that card; null when none.",
    "created_at": "When it was created (UTC, ISO 8601).",
    "updated_at": "When it last changed (UTC, ISO 8601).",
    # passwordless
    "OtpRequest.tenant": "Tenant slug that scopes OTP issuance and verification.",
    "OtpRequest.email": "Email address to send the one-time code to.",
    "OtpRequest.locale": "Preferred language for the OTP email (en, nl, fr). Defaults to en if omitted.",
    "tenant": "Tenant slug that scopes OTP issuance and verification.",
    "OtpAuthenticate.email": "The email address the code was sent to.",
    "code": "The one-time code from the email, as typed.",
    "MessageOut.message": "A confirmation to show; the same whether or not the address has an account.",
    "OnboardingOut.email": "The verified address the new account will have.",
    "refresh_token": "The session's refresh token (single use: each refresh answers a new one).",
    "SessionOut.user": "The signed-in user.",
    "onboarding_token": "The token `authenticate` answered for an address without an account (single use).",
    # checkout and billing
    "product_slug": "Slug of the subscription product to checkout",
    "CheckoutInput.success_url": "Optional custom redirect URL for successful payment. Must match one of the "
                                 "configured allowed redirect URL patterns. If not provided, the default "
                                 "success_url is used.",
    "CheckoutInput.cancel_url": "Optional custom redirect URL for cancelled payment. Must match one of the "
                                "configured allowed redirect URL patterns. If not provided, the default cancel_url "
                                "is used.",
    "CheckoutSessionOut.id": "Stripe's Checkout session id (`cs_...`).",
    "CheckoutSessionOut.url": "The Stripe-hosted payment page: send the user's browser there.",
    "slug": "Unique in the tenant: lowercase letters, digits and `-` (1..64 characters).",
    "ProductCreate.name": "Display name (1..255 characters).",
    "ProductUpdate.name": "Display name (1..255 characters).",
    "ProductOut.name": "Display name.",
    "stripe_price_id": "The Stripe price id it sells (`price_...`).",
    "active": "Only active products can be checked out.",
    "redirect_patterns": "Absolute http(s) URLs checkout may send users back to: scheme, host and port exactly, "
                         "the path a prefix or, with `*`, a wildcard (at most 50).",
    "success_url": "Default URL after a successful payment; null: none (checkout must then name one).",
    "cancel_url": "Default URL after a cancelled payment; null: none (checkout must then name one).",
    "StripeEventIn.id": "Stripe's event id (`evt_...`); an event is applied once.",
    "StripeEventIn.type": "The event type (`checkout.session.completed`, `customer.subscription.updated`, ...).",
    "StripeEventIn.created": "When Stripe created the event (Unix seconds).",
    "StripeEventIn.data": "The event's object (`data.object`).",
    "WebhookOut.received": "Always true: the event was accepted.",
    "WebhookOut.status": "What became of it: `processed`, `duplicate` (seen before) or `ignored`.",
    "origins": "Web origins (`scheme://host[:port]`, http or https, no path), at most 20, sorted.",
    # home
    "HomePageInput.title": "The page's title (1..255 characters).",
    "HomePageInput.modules": "The modules in order (at most 30); which fields a module takes depends on its "
                             "`type`: hero (`title`, `subtitle`, `image`, `link` {kind, id}), release_carousel "
                             "(`release_ids`), track_list (`track_ids`), artist_grid (`artist_ids`), new_releases "
                             "(`artist_id` or `query`, `limit`), public_playlists (`playlist_ids`), your_playlists "
                             "(`limit`); each list holds 1..50 ids.",
    # playlists
    "tenant_id": "The tenant's id (UUID).",
    "user_id": "The owner's user id (UUID).",
    "playlist_id": "The playlist's id (UUID).",
    "playlist_name": "The playlist's name (1..255 characters).",
    "public": "True: every user of the tenant may read it. Default false.",
    "track_count": "Number of tracks in the playlist.",
    "track_id": "ID of the track to add.",
    "PlaylistTrackOut.track_id": "The catalog track's id (the aggregator's).",
    "PlayReportOut.track_id": "The catalog track's id (the aggregator's).",
    "PlaylistTrackOut.id": "The entry's id (UUID): use it to move or remove the entry.",
    "order": "1-based position in the playlist (past the end means last).",
    "tracks": "The playlist's whole new track list, in order (at most 100).",
    # streaming
    "stream_id": "The stream's id (UUID): a catalog track's `streamId`.",
    "play_mode": "How it was listened to: `online`, `offline` or `online-cached`.",
    "played_at": "When the play started (ISO 8601 with a timezone).",
}

HEADER_PARAMS: dict[str, dict[str, Any]] = {
    "X-Tenant": {"description": "Tenant slug (e.g. acme-records). Required when unauthenticated; ignored when "
                                "authenticated.", "example": "acme-records"},
}


@dataclass(frozen=True)
class Doc:
    description: str = ""
    request: Any = None  # the request sample: a JSON value (or a form-encoded string for the token endpoint)
    response: Any = None  # the success response sample
    responses: dict[str, Any] = field(default_factory=dict)  # several named success samples instead of one
    path_params: dict[str, str] = field(default_factory=dict)  # per-operation parameter descriptions
    tags: tuple[str, ...] = ()  # extra tags (the reference lists UDT minting under Users too)


_CORS_ORIGINS = {"origins": ["http://localhost:3000", "https://app.example.com"]}
_TS = "2019-08-24T14:15:22Z"
USER = {
    "id": "497f6eca-6276-4993-bfeb-53cbbbba6f08",
    "first_name": "Jane",
    "last_name": "Doe",
    "email": "user@example.com",
    "date_of_birth": "1990-01-15",
    "status": "SUBSCRIBED",
    "subscription_ends_at": _TS,
    "pm_type": "visa",
    "pm_last_four": "4242",
    "created_at": _TS,
    "updated_at": _TS,
}
SESSION = {
    "token_type": "Bearer",
    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6IjEifQ.eyJ1c2UiOiJhY2Nlc3MifQ.c2lnbmF0dXJl",
    "expires_in": 3600,
    "refresh_token": "Xb3Lq0v9yZkP2m8sT4wR1cH6nJ5dG7aE0fK3uVyQiOs",
    "refresh_expires_in": 2592000,
    "user": USER,
}
PLAYLIST = {
    "id": "497f6eca-6276-4993-bfeb-53cbbbba6f08",
    "tenant_id": "34f5c98e-f430-457b-a812-92637d0c6fd0",
    "user_id": "a169451c-8525-4352-b8ca-070dd449a1a5",
    "playlist_name": "Road trip",
    "public": True,
    "created_at": _TS,
    "updated_at": _TS,
}
PLAYLIST_TRACK = {
    "id": "5b1c2d3e-4f50-4a61-8b72-9c83d4e5f607",
    "playlist_id": "497f6eca-6276-4993-bfeb-53cbbbba6f08",
    "track_id": "1",
    "order": 1,
    "created_at": _TS,
    "updated_at": _TS,
}
_ARTIST = {"id": 1, "name": "AC/DC", "appearsAs": "AC/DC", "slug": "ac-dc",
           "image": "https://images.example.com/artist/1_350.jpg", "url": "https://catalog.example.com/artist/ac-dc",
           "sortName": "AC/DC"}
_RELEASE = {"id": 1, "title": "For Those About To Rock We Salute You", "version": "", "type": "album",
            "artist": {"id": 1, "name": "AC/DC", "appearsAs": "AC/DC"}, "slug": "for-those-about-to-rock-we-salute-you",
            "image": "https://images.example.com/release/1_350.jpg", "releaseDate": "1989-03-16",
            "explicitContent": True, "label": {"id": 1, "name": "Atlantic"}, "licensor": {"id": 1, "name": "Atlantic"},
            "duration": 2400, "trackCount": 10, "usageTypes": ["download", "stream"]}
_TRACK = {"id": 1, "title": "For Those About To Rock (We Salute You)", "version": "",
          "artist": {"id": 1, "name": "AC/DC", "appearsAs": "AC/DC"}, "trackNumber": 1, "discNumber": 1,
          "duration": 344, "explicitContent": False, "isrc": "GBSDX8900001", "type": "audio", "genre": "Rock",
          "release": {"id": 1, "title": "For Those About To Rock We Salute You", "type": "album"},
          "usageTypes": ["download", "stream"], "price": {"formattedPrice": "$0.99", "currencyCode": "USD"},
          "streamId": "0f8d5c6e-2a1b-5c3d-9e4f-a5b6c7d8e9f0"}
_SEARCH = {"estimatedTotalItems": 26, "page": 1, "expectedPageSize": 10}


def _paginator(item: dict[str, Any], path: str) -> dict[str, Any]:
    return {
        "data": [item],
        "links": {"first": f"{path}?page=1&per_page=15", "last": f"{path}?page=1&per_page=15",
                  "prev": None, "next": None},
        "meta": {"current_page": 1, "from": 1, "last_page": 1, "path": path, "per_page": 15, "to": 1, "total": 1},
    }


HLS_SAMPLE = (
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
    "#EXTINF:6.000,\nhttps://streaming.example.com/streams/0f8d5c6e-2a1b-5c3d-9e4f-a5b6c7d8e9f0/segments/0.ts"
    "?user=a169451c-8525-4352-b8ca-070dd449a1a5&device=a9b66a51-3cb6-4e66-bb94-675e83380fe5&exp=1764000000&sig=3f1a...\n"
    "#EXTINF:6.000,\nhttps://streaming.example.com/streams/0f8d5c6e-2a1b-5c3d-9e4f-a5b6c7d8e9f0/segments/1.ts"
    "?user=a169451c-8525-4352-b8ca-070dd449a1a5&device=a9b66a51-3cb6-4e66-bb94-675e83380fe5&exp=1764000000&sig=9b2c...\n"
    "#EXT-X-ENDLIST\n"
)
_PRODUCT = {"id": "6c1b7e0a-9d2f-4f3e-8a1b-2c3d4e5f6a7b", "slug": "premium", "name": "Premium",
            "stripe_price_id": "price_1PqR2sT3uV4wX5yZ", "active": True, "created_at": _TS, "updated_at": _TS}
_BILLING_SETTINGS = {"redirect_patterns": ["https://app.example.com/billing/*"],
                     "success_url": "https://app.example.com/billing/success",
                     "cancel_url": "https://app.example.com/billing/cancel"}
_HOME = {
    "page": {"id": "8d0e3a52-1f7b-4c9e-b2d4-6a8f0c1e3b5d", "slug": "home", "title": "Home", "updated_at": _TS},
    "modules": [
        {"id": "hero", "type": "hero", "title": "Featured", "position": 1,
         "items": [{"title": "Back in Black", "subtitle": "AC/DC", "image": "https://images.example.com/hero.jpg",
                    "link": {"kind": "release", "id": "1"}}]},
        {"id": "new", "type": "new_releases", "title": "New releases", "position": 2, "items": [_RELEASE]},
    ],
}
_HOME_INPUT = {"title": "Home", "modules": [
    {"type": "hero", "title": "Featured", "subtitle": "AC/DC", "image": "https://images.example.com/hero.jpg",
     "link": {"kind": "release", "id": "1"}},
    {"type": "release_carousel", "title": "Staff picks", "release_ids": ["1", "2", "3"]},
]}

REFERENCE: dict[str, Doc] = {
    # ---------------------------------------------------------------- Public & Health
    "heartbeat": Doc("Server time in UTC (ISO 8601); no authentication.",
                     response={"time": "2025-11-01T09:37:15+00:00"}),
    "aggregatorStatus": Doc("Whether the catalog aggregator answers.", response={"status": "up"}),
    # ---------------------------------------------------------------- Authentication
    "issueClientToken": Doc(
        "Client credentials token endpoint accepting JSON (preferred) or form data.",
        request={"grant_type": "client_credentials", "client_id": "your-client-id",
                 "client_secret": "your-client-secret"},
        response={"access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6IjEifQ.eyJ1c2UiOiJjbGllbnQifQ.c2ln",
                  "token_type": "Bearer", "expires_in": 3600}),
    "mintUserDelegationToken": Doc(
        "Issues a UDT for the specified user/device using client credentials.",
        request={"deviceId": "a9b66a51-3cb6-4e66-bb94-675e83380fe5"},
        response={"token_type": "Bearer", "expires_in": 600, "token": "token-string"},
        path_params={"user_id": "ID of the end user for whom the UDT is issued."},
        tags=("Users",)),
    "requestEmailOtp": Doc(
        "Sends a one-time verification code to the given email address. If the address is valid, a code is "
        "sent; the response does not reveal whether the address exists. Rate limits apply per IP (throttle) "
        "and per email (min interval between sends, max sends per hour).",
        request={"tenant": "acme", "email": "user@example.com", "locale": "en"},
        response={"message": "If that email address is valid, a verification code has been sent."}),
    "authenticateWithEmailOtp": Doc(
        "Verifies an email OTP in a tenant context and returns a user session. Existing users receive access "
        "and refresh tokens. If no user exists for that tenant/email, an onboarding token is returned.",
        request={"tenant": "acme", "email": "user@example.com", "code": "123456",
                 "device_id": "550e8400-e29b-41d4-a716-446655440000"},
        responses={"session": SESSION,
                   "onboarding": {"onboarding_token": "plain-onboarding-token", "onboarding_expires_in": 900,
                                  "email": "user@example.com"}}),
    "signup": Doc(
        "Consumes a one-time onboarding token from email OTP authentication and creates the user (or reuses "
        "existing) and issues a session.",
        request={"onboarding_token": "plain-token-from-authenticate-response", "first_name": "Jane",
                 "last_name": "Doe", "date_of_birth": "1990-01-15"},
        response=SESSION),
    "refreshSession": Doc(
        "Exchanges a valid refresh token for a new access token and a new refresh token. The previous refresh "
        "token can no longer be used.",
        request={"refresh_token": "plain-refresh-token-from-authenticate-or-previous-refresh"},
        response=SESSION),
    "logout": Doc(
        "Ends the session for the given refresh token. Returns 204 with no body. Safe to call with an invalid "
        "or already-used token.",
        request={"refresh_token": "plain-refresh-token-to-revoke"}),
    # ---------------------------------------------------------------- Users
    "listUsers": Doc("Returns a paginated list of users.", response=_paginator(USER, "https://api.example.com/api/users")),
    "createUser": Doc("Creates a new user.",
                      request={"first_name": "Jane", "last_name": "Doe", "email": "user@example.com",
                               "date_of_birth": "1990-01-15"},
                      response={**USER, "status": "UNSUBSCRIBED", "subscription_ends_at": None, "pm_type": None,
                                "pm_last_four": None}),
    "getUser": Doc("Returns details of a specific user.", response=USER),
    "updateUser": Doc("Updates details of a specific user.",
                      request={"first_name": "Jane", "last_name": "Doe", "email": "user@example.com",
                               "date_of_birth": "1990-01-15"},
                      response=USER),
    "deleteUser": Doc("Deletes a specific user."),
    # ---------------------------------------------------------------- Profile
    "getMe": Doc("Returns profile data for the caller authenticated with a UDT.", response=USER),
    "updateMe": Doc("Updates editable profile fields for the caller authenticated with a UDT.",
                    request={"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1990-01-15"},
                    response=USER),
    # ---------------------------------------------------------------- Checkout
    "createCheckoutSession": Doc(
        "Creates a new Stripe Checkout session for a subscription product. Optionally accepts custom redirect "
        "URLs that must match configured allowed patterns.",
        request={"product_slug": "premium", "success_url": "https://app.example.com/billing/success",
                 "cancel_url": "https://app.example.com/billing/cancel"},
        response={"id": "cs_test_a1B2c3D4e5F6g7H8i9J0", "url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3D4e5F6g7H8i9J0"}),
    # ---------------------------------------------------------------- Home
    "getHome": Doc(
        "Returns the composed home page. Authentication is optional. Authenticated — tenant is derived from the "
        "user. Guest — X-Tenant header (tenant slug) is required. If Authorization is present but token is "
        "invalid or expired, returns 401 INVALID_AUTH_TOKEN.",
        response=_HOME),
    "setHomePage": Doc("Sets the tenant's home page: its title and ordered modules.", request=_HOME_INPUT,
                       response=_HOME),
    # ---------------------------------------------------------------- Playlists
    "searchPlaylists": Doc(
        "Returns a listing of playlists matching the given keyword. Includes owned and public playlists.",
        response=_paginator(PLAYLIST, "https://api.example.com/api/playlists/search")),
    "listPlaylists": Doc("Returns a listing of playlists owned by the user.", response=[PLAYLIST]),
    "createPlaylist": Doc("Creates a new playlist for the user.", request={"playlist_name": "Road trip", "public": True},
                          response=PLAYLIST),
    "getPlaylist": Doc("Returns details of a specific playlist.",
                       response={**PLAYLIST, "tracks": [{**PLAYLIST_TRACK, "track": _TRACK}]}),
    "updatePlaylist": Doc("Updates details of an owned playlist.", request={"playlist_name": "Road trip", "public": True},
                          response=PLAYLIST),
    "deletePlaylist": Doc("Deletes an owned playlist and its tracks."),
    "getPlaylistTracks": Doc("Returns tracks for a specific playlist.", response=[{**PLAYLIST_TRACK, "track": _TRACK}]),
    "addPlaylistTrack": Doc("Adds a single track to the end of the playlist.", request={"track_id": "1"},
                            response=PLAYLIST_TRACK),
    "replacePlaylistTracks": Doc("Replaces all tracks in the playlist with the provided set.",
                                 request={"tracks": [{"track_id": "1"}, {"track_id": "2"}]},
                                 response=[PLAYLIST_TRACK, {**PLAYLIST_TRACK, "id": "6c2d3e4f-5061-4b72-9c83-ad94e5f60718",
                                                            "track_id": "2", "order": 2}]),
    "removePlaylistTrack": Doc("Removes a single track and reorders the remaining tracks."),
    "movePlaylistTrack": Doc("Reorders a track and shifts other tracks accordingly.", request={"order": 1},
                             response=PLAYLIST_TRACK),
    # ---------------------------------------------------------------- Artists
    "searchArtists": Doc("Search for artists using the aggregator service.",
                         response={**_SEARCH, "results": [_ARTIST]}),
    "getArtist": Doc("Get detailed information about a specific artist.",
                     response={"status": "ok", "version": "1.2", "artist": _ARTIST}),
    "getArtistReleases": Doc("Get releases for a specific artist.",
                             response={"status": "ok", "version": "1.2",
                                       "releases": {"page": 1, "pageSize": 10, "totalItems": 1, "releases": [_RELEASE]}}),
    "browseArtists": Doc("Browse artists by letter.",
                         response={"status": "ok", "version": "1.2",
                                   "artists": {"page": 1, "pageSize": 10, "totalItems": 1, "artists": [_ARTIST]}}),
    # ---------------------------------------------------------------- Releases
    "searchReleases": Doc("Search for releases using the aggregator service.",
                          response={**_SEARCH, "results": [_RELEASE]}),
    "getRelease": Doc("Get detailed information about a specific release.", response={"release": _RELEASE}),
    "getReleaseTracks": Doc("Get tracks for a specific release.",
                            response={"page": 1, "pageSize": 50, "totalItems": 1, "tracks": [_TRACK]}),
    "getReleasesBatch": Doc("Get detailed information about multiple releases.",
                            response={"items": {"releases": [_RELEASE]}}),
    # ---------------------------------------------------------------- Tracks
    "searchTracks": Doc("Search for tracks using the aggregator service.", response={**_SEARCH, "results": [_TRACK]}),
    "getTrack": Doc("Get detailed information about a specific track.", response={"track": _TRACK}),
    "getTracksBatch": Doc("Get detailed information about multiple tracks.", response={"items": {"tracks": [_TRACK]}}),
    # ---------------------------------------------------------------- Streaming
    "streamTrack": Doc("Returns an HLS manifest from the streaming server using a stream ID.", response=HLS_SAMPLE),
    "streamUrl": Doc(response={
        "url": "https://api.example.com/api/stream/0f8d5c6e-2a1b-5c3d-9e4f-a5b6c7d8e9f0/playlist.m3u8"
               "?tenant=2b7e1c4a-5d3f-4a8b-9c0d-1e2f3a4b5c6d&user=a169451c-8525-4352-b8ca-070dd449a1a5"
               "&device=a9b66a51-3cb6-4e66-bb94-675e83380fe5&session=&exp=1764000300&sig=5d41...",
        "expires_at": "2025-11-24T16:05:00Z"}),
    "streamSignedManifest": Doc(response=HLS_SAMPLE),
    "reportPlay": Doc(
        "Reports a finished play of a stream the user started.",
        request={"stream_id": "0f8d5c6e-2a1b-5c3d-9e4f-a5b6c7d8e9f0", "total_time_played": 212,
                 "play_mode": "online", "played_at": "2025-11-01T09:37:15+00:00"},
        response={"id": "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6", "stream_id": "0f8d5c6e-2a1b-5c3d-9e4f-a5b6c7d8e9f0",
                  "track_id": "1", "total_time_played": 212, "play_mode": "online",
                  "played_at": "2025-11-01T09:37:15Z", "created_at": "2025-11-01T09:37:16Z"}),
    # ---------------------------------------------------------------- Billing (beyond the reference)
    "listProducts": Doc("The tenant's subscription products.", response=[_PRODUCT]),
    "createProduct": Doc("Creates a subscription product (a Stripe price).",
                         request={"slug": "premium", "name": "Premium", "stripe_price_id": "price_1PqR2sT3uV4wX5yZ",
                                  "active": True},
                         response=_PRODUCT),
    "getProduct": Doc("One product of the tenant.", response=_PRODUCT),
    "updateProduct": Doc("Updates a product.", request={"name": "Premium (yearly)", "active": False},
                         response={**_PRODUCT, "name": "Premium (yearly)", "active": False}),
    "deleteProduct": Doc("Deletes a product."),
    "getBillingSettings": Doc("The tenant's checkout redirect settings.", response=_BILLING_SETTINGS),
    "setBillingSettings": Doc("Sets the tenant's checkout redirect settings.", request=_BILLING_SETTINGS,
                              response=_BILLING_SETTINGS),
    "stripeWebhook": Doc("Receives Stripe events (called by Stripe only).",
                         request={"id": "evt_1PqR2sT3uV4wX5yZ", "type": "invoice.paid", "created": 1730454000,
                                  "data": {"object": {"id": "in_1PqR2sT3uV4wX5yZ", "customer": "cus_Q1w2E3r4T5y6"}}},
                         response={"received": True, "status": "applied"}),
    "getCorsOrigins": Doc("The tenant's CORS origins.", response=_CORS_ORIGINS),
    "setCorsOrigins": Doc("Sets the tenant's CORS origins.",
                          request={"origins": ["https://app.example.com", "HTTP://LOCALHOST:3000"]},
                          response=_CORS_ORIGINS),
}
